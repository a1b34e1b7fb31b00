#pragma once
// The dependency graph of a template: every task and milestone is a node.
// Template validation and the scheduler build it the same way, so what
// validates is exactly what schedules.

#include <cstddef>
#include <string>
#include <vector>

#include "firstvalue/plan.hpp"

namespace firstvalue::plan_detail {

inline constexpr std::size_t kNone = static_cast<std::size_t>(-1);

struct Node {
  std::string id;
  std::string path;          // e.g. phases[1].milestones[0].tasks[2]
  bool milestone = false;
  std::size_t phase = 0, milestone_index = 0, task_index = kNone;
  std::size_t owner = kNone;  // for a task: the node of its milestone
  std::vector<std::size_t> preds;  // nodes that must finish first
};

struct Graph {
  std::vector<Node> nodes;
  std::vector<std::size_t> order;  // topological: predecessors first
};

// Throws Error(invalid) naming the path for a duplicate id, an unknown
// dependency, or a cycle (the message lists it: `a → b → a`).
Graph build_graph(const Template& t);

}  // namespace firstvalue::plan_detail
