// Corrupt global heap collections (where HDF5 keeps variable-length strings,
// such as every "name" attribute of a .weights.h5) are refused before
// libhdf5 reads them: libhdf5 1.10 trusts their sizes, and the fuzzer found
// it copying past its buffer and spinning forever on such files
// (src/saving/hdf5_global_heap.cpp). Each corruption is an IOError naming
// the file and the byte, and the model keeps its weights.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "nabla/nabla.hpp"

namespace nabla {
namespace {

using Bytes = std::vector<std::uint8_t>;

models::Sequential small_model() {
    models::Sequential m({layers::Dense(4, "relu", {.input_shape = {3}}), layers::Dense(2, "softmax")});
    m.compile("rmsprop", "sparse_categorical_crossentropy");
    return m;
}

Bytes read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_all(const std::string& path, const Bytes& b) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

void put_le(Bytes& b, std::size_t at, std::uint64_t v, int n = 8) {
    for (int i = 0; i < n; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint64_t get_le(const Bytes& b, std::size_t at, int n = 8) {
    std::uint64_t v = 0;
    for (int i = n; i-- > 0;) v = (v << 8) | b[at + i];
    return v;
}

// Offset of the first collection: "GCOL", version 1, three zero bytes.
std::size_t first_collection(const Bytes& b) {
    static const std::uint8_t sig[8] = {'G', 'C', 'O', 'L', 1, 0, 0, 0};
    for (std::size_t i = 0; i + 8 <= b.size(); ++i)
        if (std::memcmp(b.data() + i, sig, 8) == 0) return i;
    return std::string::npos;
}

class GlobalHeap : public ::testing::Test {
protected:
    void SetUp() override {
        good_ = (dir_ / "good.weights.h5").string();
        small_model().save_weights(good_);
        bytes_ = read_all(good_);
        gcol_ = first_collection(bytes_);
        ASSERT_NE(gcol_, std::string::npos) << "a .weights.h5 keeps its names in a global heap";
        ASSERT_EQ(bytes_[8], 0) << "superblock version 0: lengths are 8 bytes";
    }

    // Loading the corrupted copy fails with an IOError naming the file and
    // `what`; the target keeps its weights.
    void expect_refused(const Bytes& corrupt, const std::string& what) {
        const std::string path = (dir_ / "corrupt.weights.h5").string();
        write_all(path, corrupt);
        models::Sequential target = small_model();
        const auto before = target.get_weights();
        try {
            target.load_weights(path);
            ADD_FAILURE() << what << ": no error";
        } catch (const IOError& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find(path), std::string::npos) << msg;
            EXPECT_NE(msg.find("corrupt HDF5 global heap at byte"), std::string::npos) << msg;
            EXPECT_NE(msg.find(what), std::string::npos) << msg;
        }
        const auto after = target.get_weights();
        for (std::size_t i = 0; i < after.size(); ++i)
            EXPECT_EQ(after[i].to_vector<float>(), before[i].to_vector<float>());
    }

    test::TempDir dir_;
    std::string good_;
    Bytes bytes_;
    std::size_t gcol_ = 0;
};

TEST_F(GlobalHeap, IntactFileLoads) {
    models::Sequential target = small_model();
    EXPECT_NO_THROW(target.load_weights(good_));
}

TEST_F(GlobalHeap, ObjectLargerThanItsCollectionIsRefused) {
    Bytes b = bytes_;
    put_le(b, gcol_ + 16 + 8, std::uint64_t{1} << 40);  // the first object's size
    expect_refused(b, "claims more bytes than its collection holds");
}

TEST_F(GlobalHeap, EmptyFreeSpaceEntryIsRefused) {
    // Walk to the free-space entry (index 0) and make it 0 bytes long: libhdf5
    // would loop on it forever.
    Bytes b = bytes_;
    const std::size_t end = gcol_ + get_le(b, gcol_ + 8);
    std::size_t p = gcol_ + 16;
    while (p + 16 <= end && get_le(b, p, 2) != 0) p += 16 + (get_le(b, p + 8) + 7) / 8 * 8;
    ASSERT_LE(p + 16, end) << "no free-space entry in the collection";
    put_le(b, p + 8, 0);
    expect_refused(b, "an entry of 0 bytes");
}

TEST_F(GlobalHeap, CollectionPastTheEndOfTheFileIsRefused) {
    Bytes b = bytes_;
    put_le(b, gcol_ + 8, b.size() * 2);
    expect_refused(b, "does not fit in the file");
}

// A legacy Keras 2 file (h5py's), whose layer names the loader reads from
// the heap: the layer name "output" (object 5) made to claim 200,000 bytes.
// Without the check libhdf5 copies them from past its 4 KiB collection.
TEST(GlobalHeapLegacy, LayerNameLargerThanItsCollectionIsRefused) {
    const std::string fixture = std::string(NABLA_SOURCE_DIR) + "/tests/saving/fixtures/k2_model.h5";
    Bytes b = read_all(fixture);
    const std::size_t gcol = first_collection(b);
    ASSERT_NE(gcol, std::string::npos);
    std::size_t p = gcol + 16;
    while (get_le(b, p, 2) != 5) p += 16 + (get_le(b, p + 8) + 7) / 8 * 8;
    ASSERT_EQ(get_le(b, p + 8), 6u) << "object 5 is the name 'output'";
    put_le(b, p + 8, 200000);
    test::TempDir dir;
    const std::string path = (dir / "k2_corrupt.h5").string();
    write_all(path, b);
    models::Sequential m({layers::Dense(8, "relu", {.input_shape = {784}}), layers::Dense(10, "softmax")});
    try {
        m.load_weights(path);
        ADD_FAILURE() << "no error";
    } catch (const IOError& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("object 5 claims more bytes"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace nabla
