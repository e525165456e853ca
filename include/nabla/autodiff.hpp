#pragma once
#include "nabla/autodiff/gradient_check.hpp"
#include "nabla/autodiff/gradient_tape.hpp"
#include "nabla/autodiff/variable.hpp"
