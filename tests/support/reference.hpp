#pragma once
// Loader for the PyTorch golden files in tests/reference/ (written by
// tools/gen_reference.py).  Standard library only; does not include tapegrad.
//
// File format:
//   # comment
//   @ <name> <dtype> <ndim> <d0> <d1> ...     numeric record, followed by
//   <numel values, whitespace separated, row-major, on one or more lines>
//   @ <name> str                               string record, followed by
//   <verbatim text lines, possibly empty>
//   @@end
//
// Usage:
//   const auto& r = tapegrad_test::ref("elementwise.txt", "exp.f32.out");
//   r.dtype, r.shape, r.values (doubles; float32 records hold exact float
//   values), r.ints (exact values for integer/bool records), r.text (str).

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#ifndef TAPEGRAD_REFERENCE_DIR
#define TAPEGRAD_REFERENCE_DIR "tests/reference"
#endif

namespace tapegrad_test {

struct RefTensor {
    std::string dtype;            // "float32", "int64", "bool", ... or "str"
    std::vector<int64_t> shape;   // empty for 0-d tensors and str records
    std::vector<double> values;   // numel values, row-major
    std::string text;             // str records: lines joined by '\n', no trailing newline
    std::vector<int64_t> ints;    // integer/bool records: exact values (same order as values)

    bool is_str() const { return dtype == "str"; }
    bool is_float() const { return dtype == "float32" || dtype == "float64"; }
    bool is_integral() const { return !is_str() && !is_float(); }  // includes bool
    int64_t ndim() const { return static_cast<int64_t>(shape.size()); }
    int64_t numel() const {
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        return n;
    }
    // Values converted to T (e.g. as<float>(), as<int64_t>() - exact for integer records).
    template <class T>
    std::vector<T> as() const {
        std::vector<T> out;
        out.reserve(values.size());
        if (is_integral()) {
            for (int64_t v : ints) out.push_back(static_cast<T>(v));
        } else {
            for (double v : values) out.push_back(static_cast<T>(v));
        }
        return out;
    }
};

using RefFile = std::map<std::string, RefTensor>;

namespace detail {

inline std::string reference_path(const std::string& file) {
    return std::string(TAPEGRAD_REFERENCE_DIR) + "/" + file;
}

[[noreturn]] inline void parse_error(const std::string& path, std::size_t line_no, const std::string& what) {
    throw std::runtime_error("reference file '" + path + "' line " + std::to_string(line_no) + ": " + what);
}

inline bool known_numeric_dtype(const std::string& d) {
    return d == "float32" || d == "float64" || d == "int64" || d == "int32" || d == "int16" ||
           d == "int8" || d == "uint8" || d == "bool";
}

inline std::vector<std::string> split_ws(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string tok;
    while (in >> tok) out.push_back(tok);
    return out;
}

inline int64_t parse_int(const std::string& tok, const std::string& path, std::size_t line_no) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(tok.c_str(), &end, 10);
    if (tok.empty() || end != tok.c_str() + tok.size() || errno == ERANGE) {
        parse_error(path, line_no, "bad integer '" + tok + "'");
    }
    return static_cast<int64_t>(v);
}

inline double parse_double(const std::string& tok, const std::string& path, std::size_t line_no) {
    // strtod accepts nan, inf, -inf; ERANGE on underflow (denormals) is fine.
    char* end = nullptr;
    double v = std::strtod(tok.c_str(), &end);
    if (tok.empty() || end != tok.c_str() + tok.size()) {
        parse_error(path, line_no, "bad number '" + tok + "'");
    }
    return v;
}

inline RefFile parse_reference_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open reference file '" + path + "'");

    RefFile records;
    std::string line;
    std::size_t line_no = 0;

    RefTensor* cur = nullptr;       // numeric record being filled
    std::string cur_name;
    std::size_t cur_line = 0;
    std::size_t expected = 0;

    auto finish_numeric = [&]() {
        if (cur != nullptr && cur->values.size() != expected) {
            parse_error(path, cur_line, "record '" + cur_name + "' has " + std::to_string(cur->values.size()) +
                                            " values, expected " + std::to_string(expected));
        }
        cur = nullptr;
    };

    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == '#') continue;

        if (line[0] == '@') {
            finish_numeric();
            const std::vector<std::string> tok = split_ws(line);
            if (tok.size() < 3 || tok[0] != "@") parse_error(path, line_no, "bad header '" + line + "'");
            const std::string& name = tok[1];
            if (records.count(name) != 0) parse_error(path, line_no, "duplicate record '" + name + "'");
            RefTensor rec;
            rec.dtype = tok[2];

            if (rec.dtype == "str") {
                if (tok.size() != 3) parse_error(path, line_no, "bad str header '" + line + "'");
                std::string text;
                bool first = true;
                bool closed = false;
                while (std::getline(in, line)) {
                    ++line_no;
                    if (!line.empty() && line.back() == '\r') line.pop_back();
                    if (line == "@@end") {
                        closed = true;
                        break;
                    }
                    if (!first) text += '\n';
                    text += line;
                    first = false;
                }
                if (!closed) parse_error(path, line_no, "str record '" + name + "' lacks @@end");
                rec.text = std::move(text);
                records.emplace(name, std::move(rec));
                continue;
            }

            if (!known_numeric_dtype(rec.dtype)) parse_error(path, line_no, "unknown dtype '" + rec.dtype + "'");
            if (tok.size() < 4) parse_error(path, line_no, "missing ndim in '" + line + "'");
            const int64_t ndim = parse_int(tok[3], path, line_no);
            if (ndim < 0 || static_cast<std::size_t>(ndim) + 4 != tok.size()) {
                parse_error(path, line_no, "ndim does not match the number of sizes in '" + line + "'");
            }
            for (int64_t i = 0; i < ndim; ++i) {
                const int64_t d = parse_int(tok[4 + static_cast<std::size_t>(i)], path, line_no);
                if (d < 0) parse_error(path, line_no, "negative size in '" + line + "'");
                rec.shape.push_back(d);
            }
            expected = static_cast<std::size_t>(rec.numel());
            rec.values.reserve(expected);
            cur = &records.emplace(name, std::move(rec)).first->second;
            cur_name = name;
            cur_line = line_no;
            continue;
        }

        if (cur == nullptr) parse_error(path, line_no, "values outside a record");
        const bool integral = cur->is_integral();
        const bool f32 = cur->dtype == "float32";
        std::istringstream vs(line);
        std::string tok;
        while (vs >> tok) {
            if (cur->values.size() == expected) {
                parse_error(path, line_no, "too many values for record '" + cur_name + "'");
            }
            if (integral) {
                const int64_t v = parse_int(tok, path, line_no);
                if (cur->dtype == "bool" && v != 0 && v != 1) parse_error(path, line_no, "bad bool '" + tok + "'");
                cur->ints.push_back(v);
                cur->values.push_back(static_cast<double>(v));
            } else {
                double v = parse_double(tok, path, line_no);
                if (f32) v = static_cast<double>(static_cast<float>(v));
                cur->values.push_back(v);
            }
        }
    }
    finish_numeric();
    return records;
}

struct RefCache {
    std::mutex mutex;
    std::map<std::string, std::unique_ptr<RefFile>> files;
};

inline RefCache& ref_cache() {
    static RefCache cache;
    return cache;
}

}  // namespace detail

// All records of a reference file (loaded once, then cached).
inline const RefFile& ref_file(const std::string& file) {
    auto& cache = detail::ref_cache();
    std::lock_guard<std::mutex> lock(cache.mutex);
    auto it = cache.files.find(file);
    if (it == cache.files.end()) {
        auto parsed = std::make_unique<RefFile>(detail::parse_reference_file(detail::reference_path(file)));
        it = cache.files.emplace(file, std::move(parsed)).first;
    }
    return *it->second;
}

// One record; throws std::runtime_error naming the file and record if either is missing.
inline const RefTensor& ref(const std::string& file, const std::string& name) {
    const RefFile* records = nullptr;
    try {
        records = &ref_file(file);
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string(e.what()) + " (while looking up record '" + name + "')");
    }
    auto it = records->find(name);
    if (it == records->end()) {
        throw std::runtime_error("reference record '" + name + "' not found in '" + detail::reference_path(file) +
                                 "'");
    }
    return it->second;
}

// Whether a record exists (loads the file; throws if the file is missing).
inline bool has_ref(const std::string& file, const std::string& name) {
    return ref_file(file).count(name) != 0;
}

}  // namespace tapegrad_test
