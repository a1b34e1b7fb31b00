// The same header compiled as C++ under pedantic warnings.
#include "firstvalue.h"

int main() {
  fv_buf buf{nullptr, 0};
  fv_buf_dispose(&buf);
  int minor = -1;
  return fv_version(nullptr, &minor, nullptr) == FV_OK && minor == FV_VERSION_MINOR ? 0 : 1;
}
