#pragma once
// Internal: a small RAII wrapper over the HDF5 C API, just what Keras's
// weight files need. Every file lives in memory (the core driver): reading
// opens a copy of the file's bytes, writing produces the bytes
// (H5Fget_file_image) for a zip member or an atomic write. Every failure is
// an IOError naming the file (the `context`) and the object.
//
// Reading is defensive, as Keras's reader is: soft and external links,
// external and virtual datasets are refused, and a dataset may not declare
// more bytes than the file could hold.
#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "nabla/core/tensor.hpp"

namespace nabla::saving::h5 {

// One HDF5 identifier, closed by its close function.
class Id {
public:
    using Closer = herr_t (*)(hid_t);
    Id() = default;
    Id(hid_t id, Closer close) : id_(id), close_(close) {}
    ~Id() { reset(); }
    Id(Id&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = H5I_INVALID_HID; }
    Id& operator=(Id&& o) noexcept {
        if (this != &o) {
            reset();
            id_ = o.id_;
            close_ = o.close_;
            o.id_ = H5I_INVALID_HID;
        }
        return *this;
    }
    Id(const Id&) = delete;
    Id& operator=(const Id&) = delete;
    hid_t get() const { return id_; }
    void reset() {
        if (id_ >= 0 && close_) close_(id_);
        id_ = H5I_INVALID_HID;
    }

private:
    hid_t id_ = H5I_INVALID_HID;
    Closer close_ = nullptr;
};

// The file name (and operation) every message starts with, shared by the
// handles of one file.
using Context = std::shared_ptr<const std::string>;

// What a dataset holds, as far as weights go.
struct DatasetInfo {
    Shape shape;
    H5T_class_t type_class;  // H5T_FLOAT, H5T_INTEGER, ...
    std::size_t type_size;
};

class Dataset {
public:
    Dataset(Id id, Context ctx, std::string path, std::uint64_t file_size);
    const DatasetInfo& info() const { return info_; }
    const std::string& path() const { return path_; }
    // The values as a tensor of `dtype` (float32/float64/int64); HDF5
    // converts. IOError when the type class does not convert.
    Tensor read(DType dtype) const;

private:
    void check_storage(std::uint64_t file_size) const;
    Id id_;
    Context ctx_;
    std::string path_;
    DatasetInfo info_;
};

class Group {
public:
    Group(Id id, Context ctx, std::string path) : id_(std::move(id)), ctx_(std::move(ctx)), path_(std::move(path)) {}
    const std::string& path() const { return path_; }

    // A hard link to a group or dataset named `name` exists here. A soft or
    // external link of that name is an IOError (refused, as Keras does).
    bool has(const std::string& name) const;
    bool has_group(const std::string& name) const;
    bool has_dataset(const std::string& name) const;
    // Opens a child; IOError when it is missing, a link, or of another kind.
    Group group(const std::string& name) const;
    Dataset dataset(const std::string& name) const;
    // Names of the children, in name order ("0", "1", "10", ... as HDF5
    // sorts them); links are refused.
    std::vector<std::string> children() const;

    Group create_group(const std::string& name) const;
    // A contiguous little-endian dataset with t's shape (0-d: scalar).
    void write(const std::string& name, const Tensor& t) const;

    bool has_attr(const std::string& name) const;
    // A scalar variable-length UTF-8 string attribute (h5py's str).
    void set_string_attr(const std::string& name, const std::string& value) const;
    // A string attribute: scalar or 1-D, fixed- or variable-length strings.
    std::vector<std::string> string_list_attr(const std::string& name) const;
    std::string string_attr(const std::string& name) const;

    std::uint64_t file_size = 0;  // of the file this group is in (reading)

private:
    [[noreturn]] void fail(const std::string& what) const;
    std::string child_path(const std::string& name) const;
    std::string quote(const std::string& name) const;
    void check_link(const std::string& name) const;
    Id id_;
    Context ctx_;
    std::string path_;
};

class File {
public:
    // A new empty file in memory; `context` names it in messages.
    static File create(const std::string& context);
    // Opens a copy of `bytes` read-only. IOError unless it is an HDF5 file.
    static File open(std::span<const std::uint8_t> bytes, const std::string& context);
    Group root() const;
    // The file's bytes (after a flush).
    std::vector<std::uint8_t> image() const;

private:
    File(Id id, Context ctx, std::uint64_t size) : id_(std::move(id)), ctx_(std::move(ctx)), size_(size) {}
    Id id_;
    Context ctx_;
    std::uint64_t size_ = 0;
};

// Whether `bytes` start with the HDF5 signature.
bool is_hdf5(std::span<const std::uint8_t> bytes);

// IOError naming `context` unless every global heap collection in `bytes`
// (where variable-length strings live) keeps its objects inside itself and
// itself inside the file (hdf5_global_heap.cpp): libhdf5 trusts those sizes.
void check_global_heaps(std::span<const std::uint8_t> bytes, const std::string& context);

}  // namespace nabla::saving::h5
