#pragma once
// The numpy copies of core vectors that both halves of firstvalue._core return.

#include <pybind11/numpy.h>

#include <vector>

namespace firstvalue::python {

template <class T>
pybind11::array_t<T> to_numpy(const std::vector<T>& v) {
  return pybind11::array_t<T>(static_cast<pybind11::ssize_t>(v.size()), v.data());
}

}  // namespace firstvalue::python
