/* The name recogniser's decoding (entities_model.Decoder.tag) in C: each word's label
 * scores from the summed weights of its type and its neighbours' types, then Viterbi; and
 * those summed weights of a word type the decoder meets for the first time. Also the
 * reading of a sentence's labels into names (`label_spans`), twice per sentence.
 *
 * numpy did both a place at a time over all sentences of a document, some twenty calls of
 * ~1.5 us each per document plus three per place, whatever the size, and turning the
 * back-pointers into lists cost as much again: a third of the chain's time went there.
 * Here a word costs its few additions and the labels squared.
 *
 * The sums are CRFsuite's and in the order numpy made them (the word's own weights, its
 * neighbours' at offsets -2, -1, +1, +2, sentence start, sentence end, the bigram with the
 * word before, with the word after, the two document flags; then alpha[from] +
 * transition[from][to], then the word's score), and a tie goes to the lower label id, so
 * the labels are CRFsuite's own, bit for bit. No numpy C API: the weight tables come in
 * through the buffer protocol (C-contiguous float64, checked), the words' ids as lists. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string.h>

#define MAX_LABELS 64
#define SLOTS 5            /* a type's own weights, then as a neighbour at each offset */
#define REACH 2            /* the farthest neighbour whose weights a word carries */
#define BOS 0              /* rows of `context` */
#define EOS 1
#define DOC_LOWER 2
#define DOC_MIDCAP 3
#define MARK_LOWER 1       /* bits of a word's `marks` */
#define MARK_MIDCAP 2

static const int offsets[SLOTS] = {0, -2, -1, 1, 2};

typedef struct {
    const double *table;   /* [type row][slot][label] */
    Py_ssize_t types;
    const double *pairs;   /* [bigram id][as b-1, as b+1][label] */
    Py_ssize_t bigrams;
    const double *context; /* [BOS, EOS, DOC_LOWER, DOC_MIDCAP][label] */
    const double *into;    /* [to][from] */
    Py_ssize_t labels;
} Model;

/* `obj`'s buffer in `view` (with `flags`, e.g. PyBUF_WRITABLE) if it is C-contiguous float64
 * of `rows` times `width` values (`rows` < 0: any whole number of rows): the rows; -1 and an
 * error naming it otherwise. A view that was acquired is released by the caller. */
static Py_ssize_t rows_of(PyObject *obj, Py_buffer *view, Py_ssize_t rows, Py_ssize_t width,
                          const char *name, int flags) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | flags) < 0) return -1;
    if (view->itemsize != sizeof(double) || view->format == NULL ||
        strcmp(view->format, "d") != 0) {
        PyErr_Format(PyExc_ValueError, "%s: not float64 (format %s)", name,
                     view->format ? view->format : "?");
        return -1;
    }
    Py_ssize_t row_bytes = width * (Py_ssize_t)sizeof(double);
    if (view->len % row_bytes != 0 || (rows >= 0 && view->len != rows * row_bytes)) {
        PyErr_Format(PyExc_ValueError, "%s: %zd bytes, not %s of %zd doubles", name, view->len,
                     rows >= 0 ? "the rows" : "whole rows", width);
        return -1;
    }
    return view->len / row_bytes;
}

static void add(double *into, const double *weights, Py_ssize_t labels) {
    for (Py_ssize_t label = 0; label < labels; label++) into[label] += weights[label];
}

/* The label scores of one sentence's words, [place][label]. */
static void emissions(const Model *m, const Py_ssize_t *ids, const Py_ssize_t *following,
                      const unsigned char *marks, Py_ssize_t length, double *scores) {
    Py_ssize_t labels = m->labels;
    for (Py_ssize_t place = 0; place < length; place++) {
        double *score = scores + place * labels;
        memcpy(score, m->table + ids[place] * SLOTS * labels, labels * sizeof(double));
        for (int slot = 1; slot < SLOTS; slot++) {
            Py_ssize_t at = place + offsets[slot];
            if (at >= 0 && at < length) add(score, m->table + (ids[at] * SLOTS + slot) * labels, labels);
        }
        if (place == 0) add(score, m->context + BOS * labels, labels);
        if (place == length - 1) add(score, m->context + EOS * labels, labels);
        if (place > 0) add(score, m->pairs + (following[place - 1] * 2) * labels, labels);
        if (place < length - 1) add(score, m->pairs + (following[place] * 2 + 1) * labels, labels);
        if (marks[place] & MARK_LOWER) add(score, m->context + DOC_LOWER * labels, labels);
        if (marks[place] & MARK_MIDCAP) add(score, m->context + DOC_MIDCAP * labels, labels);
    }
}

/* The best path of one sentence's scores, as a list of label names; `back` has room for
 * length times labels back-pointers. */
static PyObject *best_path(const Model *m, const double *scores, Py_ssize_t length,
                           PyObject *names, unsigned char *back) {
    Py_ssize_t labels = m->labels;
    double alpha[MAX_LABELS], next[MAX_LABELS];
    memcpy(alpha, scores, labels * sizeof(double));
    for (Py_ssize_t place = 1; place < length; place++) {
        const double *score = scores + place * labels;
        unsigned char *from_of = back + place * labels;
        for (Py_ssize_t to = 0; to < labels; to++) {
            const double *in = m->into + to * labels;
            Py_ssize_t best = 0;
            double top = alpha[0] + in[0];
            for (Py_ssize_t from = 1; from < labels; from++) {
                double candidate = alpha[from] + in[from];
                if (candidate > top) { /* strictly: a tie keeps the lower id */
                    top = candidate;
                    best = from;
                }
            }
            next[to] = top + score[to];
            from_of[to] = (unsigned char)best;
        }
        memcpy(alpha, next, labels * sizeof(double));
    }
    Py_ssize_t label = 0;
    for (Py_ssize_t to = 1; to < labels; to++) {
        if (alpha[to] > alpha[label]) label = to;
    }
    PyObject *path = PyList_New(length);
    if (path == NULL) return NULL;
    for (Py_ssize_t place = length - 1;; place--) {
        PyObject *name = PyTuple_GET_ITEM(names, label);
        Py_INCREF(name);
        PyList_SET_ITEM(path, place, name);
        if (place == 0) break;
        label = back[place * labels + label];
    }
    return path;
}

/* `item` as an index in [0, bound); -1 and an error naming `name` otherwise. */
static Py_ssize_t index_in(PyObject *item, Py_ssize_t bound, const char *name) {
    Py_ssize_t index = PyLong_AsSsize_t(item);
    if (index >= 0 && index < bound) return index;
    if (!PyErr_Occurred()) {
        PyErr_Format(PyExc_ValueError, "%s: %zd is not in [0, %zd)", name, index, bound);
    }
    return -1;
}

/* A list of n ints, each in [0, bound), into `out`; 0 and a ValueError otherwise. */
static int indices(PyObject *list, Py_ssize_t n, Py_ssize_t bound, Py_ssize_t *out,
                   const char *name) {
    if (PyList_GET_SIZE(list) != n) {
        PyErr_Format(PyExc_ValueError, "%s: %zd values, expected %zd", name,
                     PyList_GET_SIZE(list), n);
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if ((out[i] = index_in(PyList_GET_ITEM(list, i), bound, name)) < 0) return 0;
    }
    return 1;
}

static PyObject *label_paths(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *table_obj, *pairs_obj, *context_obj, *into_obj;
    PyObject *ids_list, *following_list, *lengths, *names;
    Py_buffer marks;
    if (!PyArg_ParseTuple(args, "OOOOO!O!y*O!O!", &table_obj, &pairs_obj, &context_obj,
                          &into_obj, &PyList_Type, &ids_list, &PyList_Type, &following_list,
                          &marks, &PyList_Type, &lengths, &PyTuple_Type, &names)) {
        return NULL;
    }
    Py_buffer table = {0}, pairs = {0}, context = {0}, into = {0};
    PyObject *result = NULL;
    Py_ssize_t *ids = NULL, *following = NULL;
    unsigned char *back = NULL;
    double *scores = NULL;
    Model m = {.labels = PyTuple_GET_SIZE(names)};
    if (m.labels < 1 || m.labels > MAX_LABELS) {
        PyErr_Format(PyExc_ValueError, "%zd labels, not 1 to %d", m.labels, MAX_LABELS);
        goto done;
    }
    if ((m.types = rows_of(table_obj, &table, -1, SLOTS * m.labels, "table", 0)) < 0 ||
        (m.bigrams = rows_of(pairs_obj, &pairs, -1, 2 * m.labels, "pairs", 0)) < 0 ||
        rows_of(context_obj, &context, 4, m.labels, "context", 0) < 0 ||
        rows_of(into_obj, &into, m.labels, m.labels, "into", 0) < 0) {
        goto done;
    }
    m.table = table.buf;
    m.pairs = pairs.buf;
    m.context = context.buf;
    m.into = into.buf;
    Py_ssize_t words = 0, longest = 0;
    for (Py_ssize_t s = 0; s < PyList_GET_SIZE(lengths); s++) {
        Py_ssize_t length = PyLong_AsSsize_t(PyList_GET_ITEM(lengths, s));
        if (length < 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "lengths: a negative length");
            goto done;
        }
        words += length;
        if (length > longest) longest = length;
    }
    ids = PyMem_New(Py_ssize_t, words + 1);
    following = PyMem_New(Py_ssize_t, words + 1);
    back = PyMem_Malloc(longest * m.labels + 1);
    scores = PyMem_New(double, longest * m.labels + 1);
    if (!ids || !following || !back || !scores) {
        PyErr_NoMemory();
        goto done;
    }
    if (marks.len != words) {
        PyErr_Format(PyExc_ValueError, "marks: %zd bytes for %zd words", marks.len, words);
        goto done;
    }
    if (!indices(ids_list, words, m.types, ids, "ids") ||
        !indices(following_list, words > 0 ? words - 1 : 0, m.bigrams, following, "following")) {
        goto done;
    }
    result = PyList_New(PyList_GET_SIZE(lengths));
    if (result == NULL) goto done;
    Py_ssize_t start = 0;
    for (Py_ssize_t s = 0; s < PyList_GET_SIZE(lengths); s++) {
        Py_ssize_t length = PyLong_AsSsize_t(PyList_GET_ITEM(lengths, s));
        PyObject *path;
        if (length > 0) {
            emissions(&m, ids + start, following + start,
                      (const unsigned char *)marks.buf + start, length, scores);
            path = best_path(&m, scores, length, names, back);
        } else {
            path = PyList_New(0);
        }
        if (path == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, s, path);
        start += length;
    }
done:
    PyMem_Free(ids);
    PyMem_Free(following);
    PyMem_Free(back);
    PyMem_Free(scores);
    PyBuffer_Release(&table);
    PyBuffer_Release(&pairs);
    PyBuffer_Release(&context);
    PyBuffer_Release(&into);
    PyBuffer_Release(&marks);
    return result;
}

/* A new word type's rows of the table: each target row is the sum of its group's rows of the
 * model's state weights, first to last, as numpy's sum over them adds (bit for bit). */
static PyObject *sum_rows(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *table_obj, *state_obj, *targets, *groups;
    Py_ssize_t labels;
    if (!PyArg_ParseTuple(args, "OOnO!O!", &table_obj, &state_obj, &labels, &PyList_Type,
                          &targets, &PyList_Type, &groups)) {
        return NULL;
    }
    Py_buffer table = {0}, state = {0};
    PyObject *result = NULL;
    Py_ssize_t cells, attributes, count = PyList_GET_SIZE(targets);
    if (labels < 1 || labels > MAX_LABELS) {
        PyErr_Format(PyExc_ValueError, "%zd labels, not 1 to %d", labels, MAX_LABELS);
        goto done;
    }
    if ((cells = rows_of(table_obj, &table, -1, labels, "table", PyBUF_WRITABLE)) < 0 ||
        (attributes = rows_of(state_obj, &state, -1, labels, "state", 0)) < 0) {
        goto done;
    }
    if (PyList_GET_SIZE(groups) != count) {
        PyErr_Format(PyExc_ValueError, "%zd groups for %zd targets", PyList_GET_SIZE(groups),
                     count);
        goto done;
    }
    const double *weights = state.buf;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *group = PyList_GET_ITEM(groups, i);
        Py_ssize_t target = index_in(PyList_GET_ITEM(targets, i), cells, "targets");
        if (target < 0) goto done;
        if (!PyList_Check(group)) {
            PyErr_SetString(PyExc_TypeError, "groups: a group is not a list");
            goto done;
        }
        double sum[MAX_LABELS] = {0};
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(group); j++) {
            Py_ssize_t row = index_in(PyList_GET_ITEM(group, j), attributes, "groups");
            if (row < 0) goto done;
            if (j == 0) {
                memcpy(sum, weights + row * labels, labels * sizeof(double));
            } else {
                add(sum, weights + row * labels, labels);
            }
        }
        memcpy((double *)table.buf + target * labels, sum, labels * sizeof(double));
    }
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&table);
    PyBuffer_Release(&state);
    return result;
}

/* Does `label` (a str) read as no name, "O"? */
static int outside(PyObject *label) {
    return PyUnicode_GET_LENGTH(label) == 1 && PyUnicode_READ_CHAR(label, 0) == 'O';
}

/* Does `label` start a name, "B-..."? */
static int begins(PyObject *label) {
    return PyUnicode_GET_LENGTH(label) >= 2 && PyUnicode_READ_CHAR(label, 0) == 'B' &&
           PyUnicode_READ_CHAR(label, 1) == '-';
}

/* Are label[2:] and other[2:] the same type? */
static int same_type(PyObject *label, PyObject *other) {
    Py_ssize_t a = PyUnicode_GET_LENGTH(label), b = PyUnicode_GET_LENGTH(other);
    if ((a < 2 ? 0 : a - 2) != (b < 2 ? 0 : b - 2)) return 0;
    for (Py_ssize_t i = 2; i < a; i++) {
        if (PyUnicode_READ_CHAR(label, i) != PyUnicode_READ_CHAR(other, i)) return 0;
    }
    return 1;
}

/* The spans of BIO labels, as entities_model's docstring of `label_spans` reads them: a
 * name ends at an "O", a "B-" or another type, and an "I-" after an "O" starts one. Called
 * twice for every sentence of every item (before and after one-name-one-type), where the
 * same loop in Python was ~2% of the chain. */
static PyObject *label_spans(PyObject *Py_UNUSED(module), PyObject *arg) {
    PyObject *labels = PySequence_Fast(arg, "labels: not a sequence");
    if (labels == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(labels);
    PyObject **items = PySequence_Fast_ITEMS(labels);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyUnicode_Check(items[i])) {
            PyErr_Format(PyExc_TypeError, "labels: %zd is not a str", i);
            Py_DECREF(labels);
            return NULL;
        }
    }
    PyObject *found = PyList_New(0);
    Py_ssize_t start = -1;
    PyObject *first = NULL; /* the label that started the open span */
    for (Py_ssize_t i = 0; found != NULL && i <= n; i++) {
        PyObject *label = i < n ? items[i] : NULL; /* past the end: as an "O" */
        int none = label == NULL || outside(label);
        if (start >= 0 && (none || begins(label) || !same_type(label, first))) {
            Py_ssize_t length = PyUnicode_GET_LENGTH(first);
            PyObject *kind = PyUnicode_Substring(first, length < 2 ? length : 2, length);
            PyObject *span = kind ? Py_BuildValue("(nnN)", start, i, kind) : NULL;
            if (span == NULL || PyList_Append(found, span) < 0) Py_CLEAR(found);
            Py_XDECREF(span);
            start = -1;
        }
        if (!none && start < 0) {
            start = i;
            first = label;
        }
    }
    Py_DECREF(labels);
    return found;
}

static PyMethodDef methods[] = {
    {"label_paths", label_paths, METH_VARARGS,
     "label_paths(table, pairs, context, into, ids, following, marks, lengths, labels)\n"
     "    -> list[list[str]]\n\n"
     "The best label path of each sentence of a document. Weight tables (float64,\n"
     "C-contiguous): table [type, slot, label], a word type's own weights then as the\n"
     "neighbour at offsets -2, -1, +1, +2; pairs [bigram, before/after, label]; context\n"
     "[sentence start, sentence end, doc:lower, doc:midcap][label]; into [to, from], the\n"
     "transitions. Per word of the document, sentence after sentence: ids (type rows),\n"
     "following (the bigram id of each word and the next, one fewer than the words;\n"
     "ignored across a sentence's end),\n"
     "marks (a byte each: 1 doc:lower, 2 doc:midcap). lengths: each sentence's words; labels: the\n"
     "label names by id."},
    {"sum_rows", sum_rows, METH_VARARGS,
     "sum_rows(table, state, labels, targets, groups) -> None\n\n"
     "Writes new word types' rows: row targets[i] of table (float64, C-contiguous,\n"
     "writable, viewed as rows of `labels` values) becomes the sum of the rows groups[i]\n"
     "of state (float64 [attribute, label]), first to last; zeros for an empty group."},
    {"label_spans", label_spans, METH_O,
     "label_spans(labels) -> list[tuple[int, int, str]]\n\n"
     "(start, end, type) of each name in a sentence's BIO labels (strs): a name ends at\n"
     "an \"O\", a \"B-\" or a label of another type; an \"I-\" after an \"O\" starts one,\n"
     "as conlleval reads IOB1. The type is the label after its first two characters."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, .m_name = "_crf",
    .m_doc = "The name recogniser's emissions, Viterbi and label spans in C.", .m_size = 0,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__crf(void) { return PyModule_Create(&module); }
