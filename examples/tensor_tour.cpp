// The book's tensors, shapes and slices (Deep Learning with Python, §2.2-2.3)
// in C++. Run: build/release/examples/tensor_tour
#include <iostream>

#include "nabla/nabla.hpp"

using namespace nabla;

int main() {
    // Scalars, vectors, matrices, 3-D tensors (§2.2.1-2.2.4).
    Tensor x(12);  // np.array(12): a 0-d int64
    std::cout << "x = " << x << "  ndim " << x.ndim() << "\n";
    Tensor v{12, 3, 6, 14, 7};  // int64, as np.array([12, 3, 6, 14, 7])
    std::cout << "v = " << v << "  ndim " << v.ndim() << "  shape " << v.shape() << "\n";
    Tensor m{{5, 78, 2, 34, 0}, {6, 79, 3, 35, 1}, {7, 80, 4, 36, 2}};
    std::cout << "m =\n" << m << "\n  ndim " << m.ndim() << "\n\n";

    // A stand-in for train_images: 60000 x 28 x 28 uint8 (§2.2.5-2.2.6).
    random::Generator gen(0);
    Tensor train_images = random::randint(0, 256, {60000, 28, 28}, gen, uint8);
    std::cout << "train_images: ndim " << train_images.ndim() << ", shape " << train_images.shape()
              << ", dtype " << train_images.dtype() << "\n";

    // Slicing (§2.2.6): every line below is a view, no copy.
    auto show = [](const char* py, const Tensor& t) { std::cout << "  " << py << " -> " << t.shape() << "\n"; };
    show("train_images[10:100]", train_images(Slice(10, 100)));
    show("train_images[10:100, :, :]", train_images(Slice(10, 100), Slice(), Slice()));
    show("train_images[10:100, 0:28, 0:28]", train_images(Slice(10, 100), Slice(0, 28), Slice(0, 28)));
    show("train_images[:, 14:, 14:]", train_images(Slice(), Slice(14, None), Slice(14, None)));
    show("train_images[:, 7:-7, 7:-7]", train_images(Slice(), Slice(7, -7), Slice(7, -7)));
    const std::int64_t n = 3;
    show("train_images[128 * n:128 * (n + 1)]", train_images(Slice(128 * n, 128 * (n + 1))));

    // Tensor operations (§2.3): element-wise, broadcasting, dot, reshape.
    Tensor a = random::uniform({64, 3, 32, 10}, 0, 1, gen);
    Tensor b = random::uniform({32, 10}, 0, 1, gen);
    show("np.maximum(x(64, 3, 32, 10), y(32, 10))", maximum(a, b));
    show("np.dot(x(2, 3, 4, 5), y(5,))", dot(ones({2, 3, 4, 5}), ones({5})));
    show("np.dot(x(2, 3, 4, 5), y(5, 6))", dot(ones({2, 3, 4, 5}), ones({5, 6})));
    Tensor t{{0., 1.}, {2., 3.}, {4., 5.}};
    std::cout << "x.reshape((6, 1)) =\n" << t.reshape({6, 1}) << "\n";
    std::cout << "x.reshape((2, 3)) =\n" << t.reshape({2, 3}) << "\n";
    show("np.transpose(np.zeros((300, 20)))", transpose(zeros({300, 20})));
    std::cout << "relu([-1, 0, 2]) = " << relu(Tensor{-1, 0, 2}) << "\n";
    std::cout << "labels (summarised): " << random::randint(0, 10, {60000}, gen, uint8) << "\n";
}
