// The c10d side of engine/compat.h: which headers hold TCPStore, PrefixStore and
// ProcessGroupGloo, and the names that moved between LibTorch 1.13 and 2.x. Included only by
// engine/dist/gloo_group.cpp, which is compiled with USE_C10D_GLOO and the Gloo headers.
#pragma once

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

// What the engine uses is spelled the same in both: ProcessGroupGloo (a ProcessGroup in 1.13, a
// c10d::Backend in 2.x) with its Options, allreduce, allgather and broadcast returning
// c10d::Work, and TCPStoreOptions (2.x adds useLibUV, whose default works here).
