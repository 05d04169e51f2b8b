# C writers of the compiled encoder's single pass (csrc/envoxy_float.h,
# csrc/envoxy_json.h). Declarations only: nothing is imported at run time.
from libc.stdint cimport int64_t, uint64_t


cdef extern from "envoxy_float.h":
    const int ENVOXY_FLOAT_MAX
    const char *envoxy_two_digits


cdef extern from "envoxy_json.h":
    ctypedef struct envoxy_out:
        pass
    ctypedef int (*envoxy_other_fn)(void *ctx, object obj) except? -1
    int envoxy_put_float(envoxy_out *o, double v, int plus)
    char *envoxy_room(void *out, Py_ssize_t n) except NULL
    void envoxy_wrote(void *out, Py_ssize_t n)
    const char *envoxy_out_data(void *out)
    Py_ssize_t envoxy_out_size(void *out)
    void *envoxy_out_take()
    void envoxy_out_give_back(void *out)
    int envoxy_walk_value(void *out, object obj, int float_plus, int max_depth, envoxy_other_fn other)
    bint envoxy_decimal_probe(object d, Py_ssize_t basicsize, int negative, Py_ssize_t exp, Py_ssize_t digits, uint64_t word)
    void envoxy_decimal_enable(int on)
    int envoxy_put_decimal_fields(char *dst, Py_ssize_t *written, object d, int plus)
    int envoxy_uuid_into(object number, char *dst) except -1
    int64_t envoxy_days_from_civil(int64_t y, int m, int d) nogil
    void envoxy_civil_from_days(int64_t z, int *y, int *m, int *d) nogil
