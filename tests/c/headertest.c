/* Compiles firstvalue.h as strict C99 with -Wall -Wextra -pedantic -Werror and
 * links one call, so a header that only C++ accepts fails the build. */
#include "firstvalue.h"

int main(void) {
  int major = -1;
  fv_health_model_free(NULL);
  return fv_version(&major, NULL, NULL) == FV_OK && major == FV_VERSION_MAJOR ? 0 : 1;
}
