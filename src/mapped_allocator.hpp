#pragma once
// An allocator that maps its memory from the system and unmaps it on release,
// for the large arrays an ingestion holds for a while and then lets go of.
// From malloc they come out of glibc's heap once its mmap threshold has grown
// (up to 32 MiB, after any larger block was freed), and what is freed there
// stays resident in the host's process after the call returns.

#include <cstddef>
#include <new>

#include <sys/mman.h>

namespace firstvalue::detail {

template <class T>
struct MappedAllocator {
  using value_type = T;
  MappedAllocator() noexcept = default;
  template <class U>
  MappedAllocator(const MappedAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    void* p = mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept { munmap(p, n * sizeof(T)); }

  template <class U>
  bool operator==(const MappedAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace firstvalue::detail
