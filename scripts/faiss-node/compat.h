// Forced into faiss-node's build: faiss 1.7.3 (Debian) lacks the faiss::idx_t that faiss-node 0.5 uses.
#pragma once
#include <cstdint>
namespace faiss {
using idx_t = int64_t;
}
