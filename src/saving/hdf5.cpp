#include "saving/hdf5.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "nabla/core/error.hpp"

namespace nabla::saving::h5 {
namespace {

// The innermost HDF5 error message of this thread's stack, for the IOError
// (HDF5 prints nothing itself: H5Eset_auto2 is switched off per thread).
std::string hdf5_reason() {
    std::string reason;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
            if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
            return 0;
        },
        &reason);
    H5Eclear2(H5E_DEFAULT);
    return reason.empty() ? std::string() : " (HDF5: " + reason + ")";
}

void quiet() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

[[noreturn]] void fail_ctx(const Context& ctx, const std::string& what) {
    throw IOError(*ctx + ": " + what + hdf5_reason());
}

hid_t check(hid_t id, const Context& ctx, const std::string& what) {
    if (id < 0) fail_ctx(ctx, what);
    return id;
}

void check(herr_t rc, const Context& ctx, const std::string& what, int) {
    if (rc < 0) fail_ctx(ctx, what);
}

// A unique name per in-memory file: the core driver keys open files by name.
std::string memory_name() {
    static std::atomic<std::uint64_t> counter{0};
    return "nabla-memory-" + std::to_string(counter++) + ".h5";
}

Id core_fapl(const Context& ctx) {
    Id fapl(check(H5Pcreate(H5P_FILE_ACCESS), ctx, "cannot create a file access list"), H5Pclose);
    check(H5Pset_fapl_core(fapl.get(), 1 << 16, 0), ctx, "cannot select the in-memory driver", 0);
    return fapl;
}

hid_t native_type(DType dtype) {
    if (dtype == float32) return H5T_NATIVE_FLOAT;
    if (dtype == float64) return H5T_NATIVE_DOUBLE;
    if (dtype == int64) return H5T_NATIVE_INT64;
    if (dtype == int32) return H5T_NATIVE_INT32;
    throw DTypeError("HDF5: no file type for " + std::string(name(dtype)));
}

hid_t file_type(DType dtype) {
    if (dtype == float32) return H5T_IEEE_F32LE;
    if (dtype == float64) return H5T_IEEE_F64LE;
    if (dtype == int64) return H5T_STD_I64LE;
    if (dtype == int32) return H5T_STD_I32LE;
    throw DTypeError("HDF5: no file type for " + std::string(name(dtype)));
}

}  // namespace

bool is_hdf5(std::span<const std::uint8_t> bytes) {
    static const std::uint8_t sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    return bytes.size() >= 8 && std::memcmp(bytes.data(), sig, 8) == 0;
}

// --- File ---

File File::create(const std::string& context) {
    quiet();
    auto ctx = std::make_shared<const std::string>(context);
    Id fapl = core_fapl(ctx);
    Id id(check(H5Fcreate(memory_name().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), ctx,
                "cannot create the HDF5 file in memory"),
          H5Fclose);
    return File(std::move(id), std::move(ctx), 0);
}

File File::open(std::span<const std::uint8_t> bytes, const std::string& context) {
    quiet();
    auto ctx = std::make_shared<const std::string>(context);
    // Checked here so that arbitrary bytes never reach HDF5's superblock
    // search (which scans the whole buffer at every power of two).
    if (!is_hdf5(bytes)) throw IOError(context + ": not an HDF5 file (no HDF5 signature at its start)");
    check_global_heaps(bytes, context);
    Id fapl = core_fapl(ctx);
    check(H5Pset_file_image(fapl.get(), const_cast<std::uint8_t*>(bytes.data()), bytes.size()), ctx,
          "cannot hand the file's bytes to HDF5", 0);
    Id id(check(H5Fopen(memory_name().c_str(), H5F_ACC_RDONLY, fapl.get()), ctx,
                "not a readable HDF5 file (truncated or corrupt)"),
          H5Fclose);
    return File(std::move(id), std::move(ctx), bytes.size());
}

Group File::root() const {
    Group g(Id(check(H5Gopen2(id_.get(), "/", H5P_DEFAULT), ctx_, "cannot open the root group"), H5Gclose), ctx_,
            "");
    g.file_size = size_;
    return g;
}

std::vector<std::uint8_t> File::image() const {
    check(H5Fflush(id_.get(), H5F_SCOPE_GLOBAL), ctx_, "cannot flush the HDF5 file", 0);
    const ssize_t n = H5Fget_file_image(id_.get(), nullptr, 0);
    if (n < 0) fail_ctx(ctx_, "cannot get the HDF5 file's size");
    std::vector<std::uint8_t> out(static_cast<std::size_t>(n));
    if (H5Fget_file_image(id_.get(), out.data(), out.size()) != n) fail_ctx(ctx_, "cannot copy the HDF5 file's bytes");
    return out;
}

// --- Group ---

void Group::fail(const std::string& what) const { fail_ctx(ctx_, what); }

std::string Group::child_path(const std::string& name) const { return path_.empty() ? name : path_ + "/" + name; }

// 'path/name' (built by appending: GCC 12 warns falsely on "'" + string).
std::string Group::quote(const std::string& name) const {
    std::string s(1, '\'');
    s += child_path(name);
    s += '\'';
    return s;
}

void Group::check_link(const std::string& name) const {
    H5L_info_t info;
    if (H5Lget_info(id_.get(), name.c_str(), &info, H5P_DEFAULT) < 0) fail("cannot read the link '" + child_path(name) + "'");
    if (info.type != H5L_TYPE_HARD)
        fail(quote(name) + " is a" + (info.type == H5L_TYPE_SOFT ? " soft" : "n external") +
             " link; links are refused in model files (as Keras refuses them)");
}

bool Group::has(const std::string& name) const {
    if (name.empty() || name.find('/') != std::string::npos || name == ".") return false;
    const htri_t e = H5Lexists(id_.get(), name.c_str(), H5P_DEFAULT);
    if (e < 0) fail("cannot look up '" + child_path(name) + "'");
    if (e == 0) return false;
    check_link(name);
    return true;
}

namespace {
H5I_type_t object_type(hid_t group, const std::string& name) {
    H5O_info_t info;
    if (H5Oget_info_by_name(group, name.c_str(), &info, H5P_DEFAULT) < 0) return H5I_BADID;
    if (info.type == H5O_TYPE_GROUP) return H5I_GROUP;
    if (info.type == H5O_TYPE_DATASET) return H5I_DATASET;
    return H5I_BADID;
}
}  // namespace

bool Group::has_group(const std::string& name) const { return has(name) && object_type(id_.get(), name) == H5I_GROUP; }
bool Group::has_dataset(const std::string& name) const {
    return has(name) && object_type(id_.get(), name) == H5I_DATASET;
}

Group Group::group(const std::string& name) const {
    if (!has(name)) fail("missing group '" + child_path(name) + "'");
    if (object_type(id_.get(), name) != H5I_GROUP) fail(quote(name) + " is not a group");
    Group g(Id(check(H5Gopen2(id_.get(), name.c_str(), H5P_DEFAULT), ctx_, "cannot open group '" + child_path(name) + "'"),
               H5Gclose),
            ctx_, child_path(name));
    g.file_size = file_size;
    return g;
}

Dataset Group::dataset(const std::string& name) const {
    if (!has(name)) fail("missing dataset '" + child_path(name) + "'");
    if (object_type(id_.get(), name) != H5I_DATASET) fail(quote(name) + " is not a dataset");
    Id id(check(H5Dopen2(id_.get(), name.c_str(), H5P_DEFAULT), ctx_, "cannot open dataset '" + child_path(name) + "'"),
          H5Dclose);
    return Dataset(std::move(id), ctx_, child_path(name), file_size);
}

std::vector<std::string> Group::children() const {
    struct Out {
        std::vector<std::string> names;
        bool link = false;
        bool soft = false;
        std::string bad;
    } out;
    const herr_t rc = H5Literate(
        id_.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
        [](hid_t, const char* name, const H5L_info_t* info, void* data) -> herr_t {
            auto* o = static_cast<Out*>(data);
            if (info->type != H5L_TYPE_HARD) {
                o->link = true;
                o->soft = info->type == H5L_TYPE_SOFT;
                o->bad = name;
                return 1;
            }
            o->names.emplace_back(name);
            return o->names.size() > 1000000 ? -1 : 0;
        },
        &out);
    if (out.link)
        fail(quote(out.bad) + " is a" + (out.soft ? " soft" : "n external") +
             " link; links are refused in model files (as Keras refuses them)");
    if (rc < 0) fail("cannot list group '/" + path_ + "'");
    return out.names;
}

Group Group::create_group(const std::string& name) const {
    Group g(Id(check(H5Gcreate2(id_.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), ctx_,
                     "cannot create group '" + child_path(name) + "'"),
               H5Gclose),
            ctx_, child_path(name));
    return g;
}

void Group::write(const std::string& name, const Tensor& t) const {
    const Tensor c = t.contiguous();
    std::vector<hsize_t> dims(c.shape().begin(), c.shape().end());
    Id space(check(dims.empty() ? H5Screate(H5S_SCALAR)
                                : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                   ctx_, "cannot create a dataspace"),
             H5Sclose);
    const std::string where = quote(name);
    Id ds(check(H5Dcreate2(id_.get(), name.c_str(), file_type(c.dtype()), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                           H5P_DEFAULT),
                ctx_, "cannot create dataset " + where),
          H5Dclose);
    check(H5Dwrite(ds.get(), native_type(c.dtype()), H5S_ALL, H5S_ALL, H5P_DEFAULT, c.raw_data()), ctx_,
          "cannot write dataset " + where, 0);
}

bool Group::has_attr(const std::string& name) const {
    const htri_t e = H5Aexists(id_.get(), name.c_str());
    if (e < 0) fail("cannot look up attribute '" + name + "' of '/" + path_ + "'");
    return e > 0;
}

void Group::set_string_attr(const std::string& name, const std::string& value) const {
    Id type(check(H5Tcopy(H5T_C_S1), ctx_, "cannot copy a string type"), H5Tclose);
    check(H5Tset_size(type.get(), H5T_VARIABLE), ctx_, "cannot make a variable-length string type", 0);
    check(H5Tset_cset(type.get(), H5T_CSET_UTF8), ctx_, "cannot set UTF-8", 0);
    Id space(check(H5Screate(H5S_SCALAR), ctx_, "cannot create a dataspace"), H5Sclose);
    Id attr(check(H5Acreate2(id_.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), ctx_,
                  "cannot create attribute '" + name + "'"),
            H5Aclose);
    const char* p = value.c_str();
    check(H5Awrite(attr.get(), type.get(), &p), ctx_, "cannot write attribute '" + name + "'", 0);
}

std::vector<std::string> Group::string_list_attr(const std::string& name) const {
    const std::string where = "attribute '" + name + "' of '/" + path_ + "'";
    if (!has_attr(name)) fail("missing " + where);
    Id attr(check(H5Aopen(id_.get(), name.c_str(), H5P_DEFAULT), ctx_, "cannot open " + where), H5Aclose);
    Id type(check(H5Aget_type(attr.get()), ctx_, "cannot read the type of " + where), H5Tclose);
    Id space(check(H5Aget_space(attr.get()), ctx_, "cannot read the shape of " + where), H5Sclose);
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    if (n < 0 || n > 10000000) fail(where + " has an unreadable or absurd number of elements");
    if (H5Sget_simple_extent_ndims(space.get()) > 1) fail(where + " is not a scalar or a list");
    const std::size_t count = static_cast<std::size_t>(n);
    std::vector<std::string> out;
    if (count == 0) return out;  // Keras writes an empty float array for "no weights"
    if (H5Tget_class(type.get()) != H5T_STRING) fail(where + " is not a string");
    const htri_t vlen = H5Tis_variable_str(type.get());
    if (vlen < 0) fail("cannot read the string kind of " + where);
    Id mem(check(H5Tcopy(H5T_C_S1), ctx_, "cannot copy a string type"), H5Tclose);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
    if (vlen > 0) {
        H5Tset_size(mem.get(), H5T_VARIABLE);
        std::vector<char*> ptrs(count, nullptr);
        const herr_t rc = H5Aread(attr.get(), mem.get(), ptrs.data());
        if (rc >= 0)
            for (char* p : ptrs) out.emplace_back(p ? p : "");
        // Freed on failure too: a read that fails halfway has allocated some.
        for (char*& p : ptrs)
            if (p) H5free_memory(p), p = nullptr;
        check(rc, ctx_, "cannot read " + where, 0);
    } else {
        const std::size_t size = H5Tget_size(type.get());
        if (size == 0 || size > (1u << 20)) fail(where + " has an absurd string size");
        H5Tset_size(mem.get(), size);
        H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
        std::vector<char> buf(size * count);
        check(H5Aread(attr.get(), mem.get(), buf.data()), ctx_, "cannot read " + where, 0);
        for (std::size_t i = 0; i < count; ++i) {
            const char* p = buf.data() + i * size;
            out.emplace_back(p, strnlen(p, size));
        }
    }
    return out;
}

std::string Group::string_attr(const std::string& name) const {
    std::vector<std::string> v = string_list_attr(name);
    if (v.size() != 1) fail("attribute '" + name + "' of '/" + path_ + "' is not one string");
    return v[0];
}

// --- Dataset ---

Dataset::Dataset(Id id, Context ctx, std::string path, std::uint64_t file_size)
    : id_(std::move(id)), ctx_(std::move(ctx)), path_(std::move(path)) {
    const std::string where = "dataset '" + path_ + "'";
    Id space(check(H5Dget_space(id_.get()), ctx_, "cannot read the shape of " + where), H5Sclose);
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0 || rank > 32) fail_ctx(ctx_, where + " has an unreadable rank");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0)
        fail_ctx(ctx_, "cannot read the dimensions of " + where);
    for (hsize_t d : dims) {
        if (d > (hsize_t(1) << 40)) fail_ctx(ctx_, where + " declares an absurd dimension " + std::to_string(d));
        info_.shape.push_back(static_cast<std::int64_t>(d));
    }
    Id type(check(H5Dget_type(id_.get()), ctx_, "cannot read the type of " + where), H5Tclose);
    info_.type_class = H5Tget_class(type.get());
    info_.type_size = H5Tget_size(type.get());
    check_storage(file_size);
}

void Dataset::check_storage(std::uint64_t file_size) const {
    const std::string where = "dataset '" + path_ + "'";
    Id dcpl(check(H5Dget_create_plist(id_.get()), ctx_, "cannot read the layout of " + where), H5Pclose);
    const H5D_layout_t layout = H5Pget_layout(dcpl.get());
    if (layout == H5D_VIRTUAL) fail_ctx(ctx_, where + " is a virtual dataset; refused in model files (as Keras)");
    if (H5Pget_external_count(dcpl.get()) != 0)
        fail_ctx(ctx_, where + " stores its data in external files; refused in model files (as Keras)");
    // Bytes the dataset declares, against what the file can hold: deflate
    // shrinks at most ~1032x, and contiguous data must lie inside the file.
    long double bytes = static_cast<long double>(info_.type_size);
    for (std::int64_t d : info_.shape) bytes *= static_cast<long double>(d);
    const long double limit = static_cast<long double>(file_size) * 1032.0L + 4096.0L;
    if (bytes > limit)
        fail_ctx(ctx_, where + " declares " + std::to_string(static_cast<unsigned long long>(bytes)) +
                           " bytes, more than a " + std::to_string(file_size) + "-byte file can hold");
    if (layout == H5D_CONTIGUOUS && bytes > 0) {
        const haddr_t offset = H5Dget_offset(id_.get());
        if (offset == HADDR_UNDEF || static_cast<long double>(offset) + bytes > static_cast<long double>(file_size))
            fail_ctx(ctx_, where + "'s data lies outside the file (truncated or corrupt)");
    }
}

Tensor Dataset::read(DType dtype) const {
    const std::string where = "dataset '" + path_ + "'";
    const bool ok = (is_floating(dtype) && (info_.type_class == H5T_FLOAT || info_.type_class == H5T_INTEGER)) ||
                    (!is_floating(dtype) && info_.type_class == H5T_INTEGER);
    if (!ok) throw DTypeError(*ctx_ + ": " + where + " holds a non-numeric type; expected " + std::string(name(dtype)));
    Tensor t = Tensor::uninitialized(info_.shape, dtype);
    if (t.size() > 0)
        check(H5Dread(id_.get(), native_type(dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.raw_data()), ctx_,
              "cannot read " + where, 0);
    return t;
}

}  // namespace nabla::saving::h5
