// hashguard's Python extension: thin handles over the C API (include/hashguard/hashguard.h,
// the stable ABI), nothing more. The Pythonic surface (dataclasses, enums,
// exceptions, docs) is python/hashguard/__init__.py. Every call that decodes,
// hashes, reads files or builds indexes releases the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "hashguard/hashguard.h"

namespace py = pybind11;

namespace {

// A failing hg_status, raised in Python as hashguard.HashguardError(status, name, message).
struct HgFailure {
    int status;
    std::string message;
};

// Set by _set_error_class at import; a strong reference kept for the process's
// life (a static py::object would be released after the interpreter is gone).
PyObject* g_error_class = nullptr;

void check(hg_status s) {
    if (s != HG_OK) throw HgFailure{static_cast<int>(s), hg_last_error()};
}

// Runs a C API call with the GIL released (it decodes, reads files or builds
// indexes; nothing in it touches a Python object); its status, the GIL held again.
template <class F>
hg_status without_gil(F&& call) {
    py::gil_scoped_release nogil;
    return call();
}

const char* opt_name(const std::optional<std::string>& s) { return s ? s->c_str() : nullptr; }

// The bytes of any object with the buffer protocol, read in place. Only a
// C-contiguous buffer is accepted (PyBUF_SIMPLE): a strided view (a reversed
// or stepped memoryview, a transposed array) raises BufferError instead of
// being read as if its items were adjacent. Released with the GIL held (the
// destructor runs after the scoped release has ended).
class Bytes {
public:
    explicit Bytes(const py::object& o) {
        if (PyObject_GetBuffer(o.ptr(), &view_, PyBUF_SIMPLE) != 0) throw py::error_already_set();
    }
    ~Bytes() { PyBuffer_Release(&view_); }
    Bytes(const Bytes&) = delete;
    Bytes& operator=(const Bytes&) = delete;
    const void* data() const { return view_.buf; }
    std::size_t size() const { return static_cast<std::size_t>(view_.len); }

private:
    Py_buffer view_{};
};

class Lists {
public:
    Lists() : p_(hg_lists_create()) {
        if (!p_) throw HgFailure{HG_ERR_OUT_OF_MEMORY, "hg_lists_create: out of memory"};
    }
    hg_lists* get() const { return p_.get(); }

    void add_file(const std::string& name, const std::string& path, int kind) {
        check(without_gil([&] { return hg_lists_add_file(p_.get(), name.c_str(), path.c_str(), kind); }));
    }
    void add_text(const std::string& name, const py::bytes& text, int kind, const std::optional<std::string>& source) {
        const std::string_view t = text;
        check(without_gil([&] { return hg_lists_add_text(p_.get(), name.c_str(), t.data(), t.size(), kind, opt_name(source)); }));
    }
    // `hashes`: a C-contiguous (n, width) uint8 array (width 32 for PDQ and SHA-256, 16 MD5, 20 SHA-1).
    void add_binary(const std::string& name, const py::array_t<std::uint8_t, py::array::c_style>& hashes, int kind) {
        const std::size_t n = hashes.ndim() == 2 ? static_cast<std::size_t>(hashes.shape(0)) : 0;
        const void* data = hashes.data();
        check(without_gil([&] { return hg_lists_add_binary(p_.get(), name.c_str(), data, n, kind); }));
    }
    void add_config(const std::string& path) {
        check(without_gil([&] { return hg_lists_add_config(p_.get(), path.c_str()); }));
    }
    void remove(const std::string& name) { check(hg_lists_remove(p_.get(), name.c_str())); }
    void apply_delta_text(const std::string& name, const py::bytes& text, const std::optional<std::string>& source) {
        const std::string_view t = text;
        check(hg_lists_apply_delta_text(p_.get(), name.c_str(), t.data(), t.size(), opt_name(source)));
    }
    void apply_delta_file(const std::string& name, const std::string& path) {
        check(hg_lists_apply_delta_file(p_.get(), name.c_str(), path.c_str()));
    }
    void set_int(const std::optional<std::string>& name, int key, long long value) {
        check(hg_lists_set_int(p_.get(), opt_name(name), key, value));
    }
    long long get_int(const std::optional<std::string>& name, int key) const {
        long long v = 0;
        check(hg_lists_get_int(p_.get(), opt_name(name), key, &v));
        return v;
    }
    py::list names() const {
        py::list out;
        for (std::size_t i = 0, n = hg_lists_count(p_.get()); i < n; ++i) out.append(hg_lists_name(p_.get(), i));
        return out;
    }

private:
    struct Free {
        void operator()(hg_lists* l) const { hg_lists_free(l); }
    };
    std::unique_ptr<hg_lists, Free> p_;
};

class Result {
public:
    explicit Result(hg_result* r) : p_(r) {}
    int verdict() const { return hg_result_verdict(p_.get()); }
    int status() const { return hg_result_status(p_.get()); }
    long long get_int(int key) const { return hg_result_int(p_.get(), key); }
    py::object get_str(int key) const {
        const char* s = hg_result_str(p_.get(), key);
        return s ? py::object(py::str(s)) : py::object(py::none());
    }
    py::object get_bytes(int key) const {
        std::size_t n = 0;
        const unsigned char* b = hg_result_bytes(p_.get(), key, &n);
        return b ? py::object(py::bytes(reinterpret_cast<const char*>(b), n)) : py::object(py::none());
    }
    std::size_t match_count() const { return hg_result_match_count(p_.get()); }
    long long match_int(std::size_t i, int key) const { return hg_match_int(p_.get(), i, key); }
    py::object match_str(std::size_t i, int key) const {
        const char* s = hg_match_str(p_.get(), i, key);
        return s ? py::object(py::str(s)) : py::object(py::none());
    }

private:
    struct Free {
        void operator()(hg_result* r) const { hg_result_free(r); }
    };
    std::unique_ptr<hg_result, Free> p_;
};

class Scanner {
public:
    Scanner() : p_(hg_scanner_create()) {
        if (!p_) throw HgFailure{HG_ERR_OUT_OF_MEMORY, "hg_scanner_create: out of memory"};
    }
    void set_int(int key, long long value) { check(hg_scanner_set_int(p_.get(), key, value)); }
    long long get_int(int key) const {
        long long v = 0;
        check(hg_scanner_get_int(p_.get(), key, &v));
        return v;
    }
    void set_lists(const Lists* lists) {
        check(without_gil([&] { return hg_scanner_set_lists(p_.get(), lists ? lists->get() : nullptr); }));
    }
    // Any object with the buffer protocol (bytes, bytearray, memoryview, numpy): read in place.
    Result scan(const py::object& data) {
        const Bytes b(data);
        hg_result* r = nullptr;
        check(without_gil([&] { return hg_scan(p_.get(), b.data(), b.size(), &r); }));
        return Result(r);
    }
    Result scan_file(const std::string& path) {
        hg_result* r = nullptr;
        check(without_gil([&] { return hg_scan_file(p_.get(), path.c_str(), &r); }));
        return Result(r);
    }
    Result scan_hash(int kind, const py::bytes& hash, int quality) {
        const std::string_view h = hash;
        hg_result* r = nullptr;
        check(without_gil([&] { return hg_scan_hash(p_.get(), kind, h.data(), h.size(), quality, &r); }));
        return Result(r);
    }

    // bench/python_scan.py's baseline: n hg_scan calls on the same bytes in a C++
    // loop (GIL released), no Python per attachment; seconds elapsed.
    double c_scan_loop(const py::object& data, int n) {
        const Bytes b(data);
        py::gil_scoped_release nogil;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < n; ++i) {
            hg_result* r = nullptr;
            if (hg_scan(p_.get(), b.data(), b.size(), &r) == HG_OK) hg_result_free(r);
        }
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }

private:
    struct Free {
        void operator()(hg_scanner* s) const { hg_scanner_free(s); }
    };
    std::unique_ptr<hg_scanner, Free> p_;
};

}  // namespace

PYBIND11_MODULE(_hashguard, m) {
    m.doc() = "hashguard's C API as thin handles; use the `hashguard` package instead.";
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const HgFailure& e) {
            if (g_error_class) {
                const py::object err = py::handle(g_error_class)(e.status, hg_status_name(e.status), e.message);
                PyErr_SetObject(g_error_class, err.ptr());
            } else {
                PyErr_SetString(PyExc_RuntimeError, e.message.c_str());
            }
        }
    });
    m.def("_set_error_class", [](py::object cls) {
        Py_XDECREF(g_error_class);
        g_error_class = cls.release().ptr();
    });
    m.def("version", [] { return std::string(hg_version()); });
    m.def("kernel", [] { return std::string(hg_kernel()); });
    m.def("status_name", [](int s) { return std::string(hg_status_name(s)); });
    m.def("verdict_name", [](int v) { return std::string(hg_verdict_name(v)); });
    // The C API's constants, so the Python enums cannot drift from the header.
    py::dict c;
    c["KIND_PDQ"] = static_cast<int>(HG_KIND_PDQ), c["KIND_MD5"] = static_cast<int>(HG_KIND_MD5);
    c["KIND_SHA1"] = static_cast<int>(HG_KIND_SHA1), c["KIND_SHA256"] = static_cast<int>(HG_KIND_SHA256);
    c["KIND_VPDQ"] = static_cast<int>(HG_KIND_VPDQ);
    c["ROLE_BLOCK"] = static_cast<int>(HG_ROLE_BLOCK), c["ROLE_ALLOW"] = static_cast<int>(HG_ROLE_ALLOW);
    c["VERDICT_NO_MATCH"] = static_cast<int>(HG_VERDICT_NO_MATCH), c["VERDICT_MATCH"] = static_cast<int>(HG_VERDICT_MATCH);
    c["VERDICT_ALLOWED"] = static_cast<int>(HG_VERDICT_ALLOWED), c["VERDICT_ERROR"] = static_cast<int>(HG_VERDICT_ERROR);
    c["VERDICT_BELOW_QUALITY"] = static_cast<int>(HG_VERDICT_BELOW_QUALITY);
    c["LIST_THRESHOLD"] = static_cast<int>(HG_LIST_THRESHOLD), c["LIST_MIN_QUALITY"] = static_cast<int>(HG_LIST_MIN_QUALITY);
    c["LIST_ROLE"] = static_cast<int>(HG_LIST_ROLE), c["LIST_SKIP_BAD_LINES"] = static_cast<int>(HG_LIST_SKIP_BAD_LINES);
    c["LIST_ALLOW_EMPTY"] = static_cast<int>(HG_LIST_ALLOW_EMPTY), c["LIST_QUERY_PCT"] = static_cast<int>(HG_LIST_QUERY_PCT);
    c["LIST_COMPARED_PCT"] = static_cast<int>(HG_LIST_COMPARED_PCT), c["LIST_ENTRIES"] = static_cast<int>(HG_LIST_ENTRIES);
    c["LIST_BAD_LINES"] = static_cast<int>(HG_LIST_BAD_LINES), c["LIST_DUPLICATES"] = static_cast<int>(HG_LIST_DUPLICATES);
    c["LIST_KIND"] = static_cast<int>(HG_LIST_KIND);
    c["OPT_MAX_INPUT_BYTES"] = static_cast<int>(HG_OPT_MAX_INPUT_BYTES), c["OPT_MAX_PIXELS"] = static_cast<int>(HG_OPT_MAX_PIXELS);
    c["OPT_MAX_DIMENSION"] = static_cast<int>(HG_OPT_MAX_DIMENSION), c["OPT_MAX_FRAMES"] = static_cast<int>(HG_OPT_MAX_FRAMES);
    c["OPT_MAX_MEMORY_BYTES"] = static_cast<int>(HG_OPT_MAX_MEMORY_BYTES);
    c["OPT_MAX_DECODE_MS"] = static_cast<int>(HG_OPT_MAX_DECODE_MS), c["OPT_STRICT"] = static_cast<int>(HG_OPT_STRICT);
    c["OPT_FAST"] = static_cast<int>(HG_OPT_FAST), c["OPT_LETTERBOX"] = static_cast<int>(HG_OPT_LETTERBOX);
    c["OPT_LETTERBOX_TOLERANCE"] = static_cast<int>(HG_OPT_LETTERBOX_TOLERANCE);
    c["OPT_DIGESTS"] = static_cast<int>(HG_OPT_DIGESTS), c["OPT_MAX_MATCHES"] = static_cast<int>(HG_OPT_MAX_MATCHES);
    c["OPT_CACHE_ENTRIES"] = static_cast<int>(HG_OPT_CACHE_ENTRIES), c["OPT_CACHE_BYTES"] = static_cast<int>(HG_OPT_CACHE_BYTES);
    c["OPT_VIDEO_MS_PER_HASH"] = static_cast<int>(HG_OPT_VIDEO_MS_PER_HASH);
    c["OPT_VIDEO_MAX_FRAMES"] = static_cast<int>(HG_OPT_VIDEO_MAX_FRAMES);
    c["OPT_VIDEO_MAX_DURATION_S"] = static_cast<int>(HG_OPT_VIDEO_MAX_DURATION_S);
    c["OPT_VIDEO_MAX_DECODE_MS"] = static_cast<int>(HG_OPT_VIDEO_MAX_DECODE_MS);
    c["OPT_VIDEO_THREADS"] = static_cast<int>(HG_OPT_VIDEO_THREADS);
    c["OPT_VIDEO_MAX_PIXELS"] = static_cast<int>(HG_OPT_VIDEO_MAX_PIXELS);
    c["OPT_VIDEO_DIHEDRAL"] = static_cast<int>(HG_OPT_VIDEO_DIHEDRAL);
    c["OPT_VIDEO_HASH_THREADS"] = static_cast<int>(HG_OPT_VIDEO_HASH_THREADS);
    c["OPT_VIDEO_KEEP_HASHES"] = static_cast<int>(HG_OPT_VIDEO_KEEP_HASHES);
    c["RESULT_VPDQ"] = static_cast<int>(HG_RESULT_VPDQ);
    c["STATUS_INTERNAL"] = static_cast<int>(HG_ERR_INTERNAL);
    c["OPT_CACHE_SIZE"] = static_cast<int>(HG_OPT_CACHE_SIZE), c["OPT_GENERATION"] = static_cast<int>(HG_OPT_GENERATION);
    c["DIGEST_MD5"] = HG_DIGEST_MD5, c["DIGEST_SHA1"] = HG_DIGEST_SHA1, c["DIGEST_SHA256"] = HG_DIGEST_SHA256;
    c["RESULT_HAS_PDQ"] = static_cast<int>(HG_RESULT_HAS_PDQ), c["RESULT_QUALITY"] = static_cast<int>(HG_RESULT_QUALITY);
    c["RESULT_WIDTH"] = static_cast<int>(HG_RESULT_WIDTH), c["RESULT_HEIGHT"] = static_cast<int>(HG_RESULT_HEIGHT);
    c["RESULT_JSON"] = static_cast<int>(HG_RESULT_JSON), c["RESULT_PDQ_HEX"] = static_cast<int>(HG_RESULT_PDQ_HEX);
    c["RESULT_ERROR"] = static_cast<int>(HG_RESULT_ERROR), c["RESULT_FORMAT"] = static_cast<int>(HG_RESULT_FORMAT);
    c["BYTES_PDQ"] = static_cast<int>(HG_BYTES_PDQ), c["BYTES_PDQ_DIHEDRAL"] = static_cast<int>(HG_BYTES_PDQ_DIHEDRAL);
    c["RESULT_MD5_HEX"] = static_cast<int>(HG_RESULT_MD5_HEX), c["RESULT_SHA1_HEX"] = static_cast<int>(HG_RESULT_SHA1_HEX);
    c["RESULT_SHA256_HEX"] = static_cast<int>(HG_RESULT_SHA256_HEX);
    c["RESULT_MATCH_COUNT"] = static_cast<int>(HG_RESULT_MATCH_COUNT), c["RESULT_CACHED"] = static_cast<int>(HG_RESULT_CACHED);
    c["RESULT_VIDEO"] = static_cast<int>(HG_RESULT_VIDEO);
    c["MATCH_DISTANCE"] = static_cast<int>(HG_MATCH_DISTANCE), c["MATCH_ROLE"] = static_cast<int>(HG_MATCH_ROLE);
    c["MATCH_KIND"] = static_cast<int>(HG_MATCH_KIND), c["MATCH_INNER"] = static_cast<int>(HG_MATCH_INNER);
    c["MATCH_LIST"] = static_cast<int>(HG_MATCH_LIST), c["MATCH_ID"] = static_cast<int>(HG_MATCH_ID);
    c["MATCH_METADATA"] = static_cast<int>(HG_MATCH_METADATA);
    c["MATCH_TRANSFORM_NAME"] = static_cast<int>(HG_MATCH_TRANSFORM_NAME);
    m.attr("constants") = c;

    py::class_<Lists>(m, "Lists")
        .def(py::init<>())
        .def("add_file", &Lists::add_file)
        .def("add_text", &Lists::add_text)
        .def("add_binary", &Lists::add_binary)
        .def("add_config", &Lists::add_config)
        .def("remove", &Lists::remove)
        .def("apply_delta_text", &Lists::apply_delta_text)
        .def("apply_delta_file", &Lists::apply_delta_file)
        .def("set_int", &Lists::set_int)
        .def("get_int", &Lists::get_int)
        .def("names", &Lists::names);
    py::class_<Result>(m, "Result")
        .def("verdict", &Result::verdict)
        .def("status", &Result::status)
        .def("get_int", &Result::get_int)
        .def("get_str", &Result::get_str)
        .def("get_bytes", &Result::get_bytes)
        .def("match_count", &Result::match_count)
        .def("match_int", &Result::match_int)
        .def("match_str", &Result::match_str);
    py::class_<Scanner>(m, "Scanner")
        .def(py::init<>())
        .def("set_int", &Scanner::set_int)
        .def("get_int", &Scanner::get_int)
        .def("set_lists", &Scanner::set_lists, py::arg("lists").none(true))
        .def("scan", &Scanner::scan)
        .def("scan_file", &Scanner::scan_file)
        .def("scan_hash", &Scanner::scan_hash)
        .def("_c_scan_loop", &Scanner::c_scan_loop);
}
