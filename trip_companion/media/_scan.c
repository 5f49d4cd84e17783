/* The byte loop of the lossless JPEG path: finding where an entropy-coded scan ends
 * (scan_end); and room(), a buffer that is not zeroed, for a file about to be read into it.
 *
 * A scan's coded bytes may hold 0xFF only as 0xFF00 (stuffing), 0xFFD0-0xFFD7 (restart
 * markers) or runs of 0xFF (fill before a marker). The first 0xFF followed by anything
 * else begins the next marker. This is the same search as the regular expression in
 * jpeg.py (which stays as the fallback and the reference the tests compare this with);
 * memchr skips the megabytes between 0xFF bytes far faster than the regex engine.
 *
 * It reads only inside the buffer Python lends it and parses nothing: every structural
 * decision stays in Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static int ends_scan(unsigned char next)
{
    return next != 0x00 && next != 0xFF && (next < 0xD0 || next > 0xD7);
}

/* First i >= start with buf[i] == 0xFF and buf[i + 1] ending the scan, or -1. */
static Py_ssize_t find_scan_end(const unsigned char *buf, Py_ssize_t len, Py_ssize_t start)
{
    const unsigned char *p, *last;

    if (len - start < 2)  /* no room for 0xFF and the byte after it (and an empty buffer */
        return -1;        /* may lend a NULL pointer: no arithmetic on it) */
    p = buf + start;
    last = buf + len - 1;  /* the last byte that can follow a 0xFF */
    while (p < last) {
        p = memchr(p, 0xFF, (size_t)(last - p));
        if (p == NULL)
            return -1;
        if (ends_scan(p[1]))
            return p - buf;
        p++;
    }
    return -1;
}

static PyObject *scan_end(PyObject *module, PyObject *args)
{
    Py_buffer view;
    Py_ssize_t start, found;

    if (!PyArg_ParseTuple(args, "y*n:scan_end", &view, &start))
        return NULL;
    if (start < 0 || start > view.len) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "start is outside the data");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    found = find_scan_end(view.buf, view.len, start);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    return PyLong_FromSsize_t(found);
}

static PyObject *room(PyObject *module, PyObject *arg)
{
    Py_ssize_t size = PyLong_AsSsize_t(arg);

    if (size == -1 && PyErr_Occurred())
        return NULL;
    if (size < 0) {
        PyErr_SetString(PyExc_ValueError, "negative size");
        return NULL;
    }
    return PyByteArray_FromStringAndSize(NULL, size);  /* not zeroed: see the docstring */
}

static PyMethodDef methods[] = {
    {"scan_end", scan_end, METH_VARARGS,
     "scan_end(data, start) -> offset of the marker that ends the scan at start, or -1."},
    {"room", room, METH_O,
     "room(size) -> a bytearray of size bytes that are NOT zeroed (zeroing costs a twentieth "
     "of a photo's cleaning): for a caller that keeps only the bytes it reads into it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "The byte loop of the lossless JPEG path.", -1, methods,
};

PyMODINIT_FUNC PyInit__scan(void)
{
    return PyModule_Create(&module);
}
