#pragma once
// The numpy copies of core vectors that both halves of firstvalue._core return.

#include <pybind11/numpy.h>

#include <vector>

namespace firstvalue::python {

template <class T>
pybind11::array_t<T> to_numpy(const std::vector<T>& v) {
  return pybind11::array_t<T>(static_cast<pybind11::ssize_t>(v.size()), v.data());
}

// A read-only view of a vector that `owner` keeps alive: no copy, and no
// way to change the owner's numbers through the view.
template <class T>
pybind11::array_t<T> view_numpy(const std::vector<T>& v, const pybind11::handle& owner) {
  pybind11::array_t<T> a(static_cast<pybind11::ssize_t>(v.size()), v.data(), owner);
  pybind11::detail::array_proxy(a.ptr())->flags &= ~pybind11::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// The vector itself, moved into the array that owns it from then on.
template <class T>
pybind11::array_t<T> move_numpy(std::vector<T>&& v) {
  auto* owned = new std::vector<T>(std::move(v));
  pybind11::capsule free_it(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return pybind11::array_t<T>(static_cast<pybind11::ssize_t>(owned->size()), owned->data(), free_it);
}

}  // namespace firstvalue::python
