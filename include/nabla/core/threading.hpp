#pragma once
// The one thread knob. Honoured by every nabla kernel and by the matrix
// library (one thread team, nabla's own: src/core/thread_pool.hpp).
//   nabla::set_num_threads(n) or the environment variable NABLA_NUM_THREADS;
//   default: all cores. No thread starts before the first parallel work.
namespace nabla {

void set_num_threads(int n);  // n >= 1, else ValueError
int get_num_threads();

}  // namespace nabla
