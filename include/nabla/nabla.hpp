#pragma once
// Everything public, for applications and examples. Libraries may include
// the narrower headers instead.
#include "nabla/core/dtype.hpp"
#include "nabla/core/error.hpp"
#include "nabla/core/graph.hpp"
#include "nabla/core/index.hpp"
#include "nabla/core/random.hpp"
#include "nabla/core/shape.hpp"
#include "nabla/core/tensor.hpp"
#include "nabla/core/threading.hpp"
#include "nabla/ops/elementwise.hpp"
#include "nabla/ops/linalg.hpp"
#include "nabla/ops/nn.hpp"
#include "nabla/ops/reduce.hpp"
#include "nabla/ops/shape_ops.hpp"
#include "nabla/autodiff.hpp"
