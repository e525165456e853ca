#pragma once
// Datasets as in keras.datasets:
//
//   python                                          nabla
//   (train_images, train_labels), (test_images,     auto [train, test] = mnist::load_data();
//    test_labels) = mnist.load_data()               auto [train_images, train_labels] = train;
//                                                   auto [test_images, test_labels] = test;
//
// Images are uint8 (N, 28, 28), labels uint8 (N,), exactly as Keras returns
// them. The files are the IDX files of the original distributions
// (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
// t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; the uncompressed
// names without ".gz" are accepted too). When `dir` is given, a split is
// taken from that directory alone (its files themselves, or a parent
// folder holding <name>/): a user who names a directory gets that
// directory's files or an IOError listing the files it lacks, never a
// download or another copy. Without `dir`, each split (train, test) is
// taken from the first of these places that holds both of its files:
//   1. $NABLA_DATA_DIR/<name>/  (<name> is "mnist" or "fashion-mnist");
//   2. the cache, cache_dir()/<name>/;
//   3. for Fashion-MNIST, /usr/share/datasets/fashion-mnist/ (Debian's
//      dataset-fashion-mnist package);
//   4. otherwise its missing files are downloaded into the cache: mirrors
//      in order ($NABLA_DATASETS_MIRROR overrides them), each file checked
//      against its published SHA-256 before it is kept.
// Local files are checked structurally (IDX header, exact length, shapes,
// label range), so recompressed copies work, and files of a published size
// are recognised by SHA-256: a file of the other dataset (MNIST and
// Fashion-MNIST share names and shapes), split or slot is an IOError naming
// what each file is (docs/data.md).
//
// When a split cannot be found or downloaded (no network), DataUnavailable
// (an IOError) lists the places looked in, every URL tried with its
// failure, the URL to get the files from, and how to supply them. A directory with only the test files (as on machines without the
// training set) still gives the test split through load_subset(Subset::test,
// dir); load_data needs both splits.
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nabla/core/error.hpp"
#include "nabla/core/tensor.hpp"

namespace nabla::datasets {

// (images, labels): `auto [images, labels] = split;`
using Split = std::pair<Tensor, Tensor>;

// What load_data returns: `auto [train, test] = mnist::load_data();`
struct TrainTest {
    Split train;
    Split test;
};

enum class Subset { train, test };

// A split's files are not in the named directory, or neither found locally
// nor downloadable. what() gives a C++ caller its remedy (load_data(dir),
// $NABLA_DATA_DIR); details() lets a program tell its own users theirs (the
// nabla tool says --data-dir DIR).
class DataUnavailable : public IOError {
public:
    struct Details {
        std::string problem;             // "the train split of MNIST (...) is not ..."
        std::string looked;              // places looked in, download failures ("" if none)
        std::vector<std::string> files;  // the split's files, published names
        std::string name;                // "mnist", "fashion-mnist": the folder under NABLA_DATA_DIR
        std::string url;                 // where the files can be downloaded from
        std::string note;                // e.g. Debian's package for Fashion-MNIST ("" if none)
        bool named_dir = false;          // the files were looked for in the dir argument only
    };
    DataUnavailable(const std::string& what, Details details) : IOError(what), details_(std::move(details)) {}
    const Details& details() const { return details_; }

private:
    Details details_;
};

// Where downloads are kept: $NABLA_CACHE_DIR if set, else ~/.nabla/datasets
// ($HOME, or the password database's home directory when HOME is unset).
// IOError when neither exists.
std::filesystem::path cache_dir();

namespace mnist {
// 60,000 training and 10,000 test handwritten digits; labels 0-9.
TrainTest load_data(std::optional<std::filesystem::path> dir = std::nullopt);
// One split only: nothing is read or downloaded for the other.
Split load_subset(Subset subset, std::optional<std::filesystem::path> dir = std::nullopt);
}  // namespace mnist

namespace fashion_mnist {
// 60,000 training and 10,000 test 28x28 grey pictures of clothes; labels 0-9
// name the classes below.
TrainTest load_data(std::optional<std::filesystem::path> dir = std::nullopt);
Split load_subset(Subset subset, std::optional<std::filesystem::path> dir = std::nullopt);

inline constexpr std::array<std::string_view, 10> class_names{
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
}  // namespace fashion_mnist

}  // namespace nabla::datasets
