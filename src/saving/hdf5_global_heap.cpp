// The file's global heap collections, checked before libhdf5 sees them.
//
// A variable-length string attribute (Keras's `model_config`, nabla's and
// h5py's string attributes) stores its strings in a global heap collection
// (signature "GCOL"). libhdf5 1.10 trusts the sizes inside a collection when
// it loads one: an object that claims more bytes than its collection holds
// makes H5HG_read copy far past its buffer, and a free-space entry of size 0
// makes the loader spin forever (both found by fuzz/fuzz_model). Each
// collection is walked here as libhdf5 walks it (H5HG__cache_heap_deserialize),
// and a collection any of whose objects leaves it, or that leaves the file,
// is refused with an IOError naming the file.
//
// Every occurrence of the signature followed by version 1 and three zero
// bytes is checked: real collections all look like that, and eight such
// bytes inside other data are as good as impossible by chance.
#include <cstring>
#include <string>

#include "nabla/core/error.hpp"
#include "saving/hdf5.hpp"

namespace nabla::saving::h5 {
namespace {

// Little-endian unsigned integer of `n` bytes (1..8) at p.
std::uint64_t read_le(const std::uint8_t* p, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
}

// The superblock's "size of lengths": 8 in every file libhdf5 writes by default.
std::size_t size_of_lengths(std::span<const std::uint8_t> bytes, const std::string& context) {
    if (bytes.size() < 16) throw IOError(context + ": not a readable HDF5 file (truncated superblock)");
    const std::uint8_t version = bytes[8];
    const std::size_t at = version <= 1 ? 14 : 10;
    const std::size_t n = bytes[at];
    if (n != 2 && n != 4 && n != 8 && n != 16)
        throw IOError(context + ": corrupt HDF5 superblock (size of lengths " + std::to_string(n) + ")");
    return n;
}

[[noreturn]] void corrupt(const std::string& context, std::size_t offset, const std::string& what) {
    throw IOError(context + ": corrupt HDF5 global heap at byte " + std::to_string(offset) + ": " + what);
}

// One collection at `offset`: its size inside the file, every object inside it.
void check_collection(std::span<const std::uint8_t> bytes, std::size_t offset, std::size_t lengths,
                      const std::string& context) {
    const std::size_t header = 8 + lengths, object_header = 8 + lengths;
    const std::size_t field = lengths > 8 ? 8 : lengths;  // a 16-byte length's high half is not read
    if (bytes.size() - offset < header) corrupt(context, offset, "the collection's header runs past the end of the file");
    const std::uint64_t size = read_le(bytes.data() + offset + 8, field);
    if (size < header || size > bytes.size() - offset)
        corrupt(context, offset, "collection size " + std::to_string(size) + " does not fit in the file");
    const std::size_t end = offset + static_cast<std::size_t>(size);
    std::size_t p = offset + header;
    while (p < end) {
        if (end - p < object_header) break;  // too small for an object: free space, as libhdf5 reads it
        const std::uint8_t* h = bytes.data() + p;
        const std::uint64_t index = read_le(h, 2);
        const std::uint64_t object_size = read_le(h + 8, field);
        const std::uint64_t room = end - p;
        // An object takes its header and its data padded to 8 bytes; the
        // free-space entry (index 0) counts its header in its size.
        std::uint64_t need = 0;
        if (index > 0) {
            if (object_size > room - object_header) corrupt(context, p, "object " + std::to_string(index) +
                                                                            " claims more bytes than its collection holds");
            need = object_header + (object_size + 7) / 8 * 8;
        } else {
            need = object_size;
        }
        if (need == 0 || need > room)  // 0: libhdf5's loader would never move on
            corrupt(context, p, "an entry of " + std::to_string(need) + " bytes where " + std::to_string(room) +
                                    " remain in the collection");
        p += static_cast<std::size_t>(need);
    }
}

}  // namespace

void check_global_heaps(std::span<const std::uint8_t> bytes, const std::string& context) {
    static const std::uint8_t kSignature[8] = {'G', 'C', 'O', 'L', 1, 0, 0, 0};
    std::size_t lengths = 0;
    const std::uint8_t* data = bytes.data();
    std::size_t at = 0;
    while (bytes.size() >= 8 && at <= bytes.size() - 8) {
        const void* hit = memmem(data + at, bytes.size() - at, kSignature, sizeof kSignature);
        if (!hit) return;
        at = static_cast<std::size_t>(static_cast<const std::uint8_t*>(hit) - data);
        if (lengths == 0) lengths = size_of_lengths(bytes, context);
        check_collection(bytes, at, lengths, context);
        at += 1;
    }
}

}  // namespace nabla::saving::h5
