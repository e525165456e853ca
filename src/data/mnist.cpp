// The two MNIST-format datasets: file names, published checksums, mirrors.
#include "data/loader.hpp"

namespace nabla::datasets {
namespace {

// SHA-256 of the files as published (yann.lecun.com's originals, which the
// mirrors below serve byte for byte); the t10k sums match
// shared/data/mnist/SHA256SUMS.
const detail::DatasetSpec& mnist_spec() {
    static const detail::DatasetSpec spec{
        "mnist",
        "mnist",
        "MNIST",
        {{{"train-images-idx3-ubyte.gz",
           "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422},
          {"train-labels-idx1-ubyte.gz",
           "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881}}},
        {{{"t10k-images-idx3-ubyte.gz",
           "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877},
          {"t10k-labels-idx1-ubyte.gz",
           "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542}}},
        {"https://ossci-datasets.s3.amazonaws.com/mnist/",
         "https://storage.googleapis.com/cvdf-datasets/mnist/"},
        {},
        "",
    };
    return spec;
}

// SHA-256 of Zalando's published .gz files (their MD5s are the ones in the
// Fashion-MNIST README). Debian's dataset-fashion-mnist recompressed them:
// its .gz bytes differ but decompress to identical IDX data, which is why
// local files are checked structurally and not by checksum.
const detail::DatasetSpec& fashion_spec() {
    static const detail::DatasetSpec spec{
        "fashion-mnist",
        "fashion_mnist",
        "Fashion-MNIST",
        {{{"train-images-idx3-ubyte.gz",
           "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26421880},
          {"train-labels-idx1-ubyte.gz",
           "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29515}}},
        {{{"t10k-images-idx3-ubyte.gz",
           "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4422102},
          {"t10k-labels-idx1-ubyte.gz",
           "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5148}}},
        {"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
         "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"},
        {"/usr/share/datasets/fashion-mnist"},
        "\nOn Debian and Ubuntu, `apt-get install dataset-fashion-mnist` puts the files in "
        "/usr/share/datasets/fashion-mnist/, where they are found without any setting.",
    };
    return spec;
}

TrainTest load_both(const detail::DatasetSpec& spec, const std::optional<std::filesystem::path>& dir) {
    const std::string op = std::string(spec.api) + ".load_data";
    Split train = detail::load_split(spec, Subset::train, dir, op);
    Split test = detail::load_split(spec, Subset::test, dir, op);
    return {std::move(train), std::move(test)};
}

}  // namespace

std::array<const detail::DatasetSpec*, 2> detail::dataset_specs() { return {&mnist_spec(), &fashion_spec()}; }

namespace mnist {
TrainTest load_data(std::optional<std::filesystem::path> dir) { return load_both(mnist_spec(), dir); }
Split load_subset(Subset subset, std::optional<std::filesystem::path> dir) {
    return detail::load_split(mnist_spec(), subset, dir, "mnist.load_subset");
}
}  // namespace mnist

namespace fashion_mnist {
TrainTest load_data(std::optional<std::filesystem::path> dir) { return load_both(fashion_spec(), dir); }
Split load_subset(Subset subset, std::optional<std::filesystem::path> dir) {
    return detail::load_split(fashion_spec(), subset, dir, "fashion_mnist.load_subset");
}
}  // namespace fashion_mnist

}  // namespace nabla::datasets
