// TorchEngine: the LibTorch implementation of api::Engine. Each run trains on its own thread;
// events are buffered under one mutex and handed out in batches by drain().
#pragma once

#include <memory>

#include "engine/api/engine.h"

namespace wb::engine {

std::unique_ptr<api::Engine> make_torch_engine();

}  // namespace wb::engine
