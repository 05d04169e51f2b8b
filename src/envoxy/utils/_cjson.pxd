# C writers of the compiled encoder's single pass (csrc/envoxy_float.h,
# csrc/envoxy_json.h). Declarations only: nothing is imported at run time.
from libc.stdint cimport int64_t, uint64_t


cdef extern from "envoxy_float.h":
    const int ENVOXY_FLOAT_MAX
    const char *envoxy_two_digits
    int envoxy_write_double(double v, char *dst, int plus) nogil
    int envoxy_write_u64(uint64_t v, char *dst) nogil


cdef extern from "envoxy_json.h":
    const char *envoxy_utf8(object text, Py_ssize_t *n) except NULL
    Py_ssize_t envoxy_escape_into(const char *src, Py_ssize_t n, char *dst) nogil
    int envoxy_uuid_into(object number, char *dst) except -1
    int64_t envoxy_days_from_civil(int64_t y, int m, int d) nogil
    void envoxy_civil_from_days(int64_t z, int *y, int *m, int *d) nogil
