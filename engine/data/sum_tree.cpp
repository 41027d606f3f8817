#include "engine/data/sum_tree.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace wb::engine::data {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

SumTree::SumTree(int64_t n) : m_n(n) {
    if (n < 1) throw std::invalid_argument("SumTree: needs n >= 1, got " + std::to_string(n));
    while (m_leaves < n) m_leaves *= 2;
    m_sum.assign(static_cast<size_t>(2 * m_leaves), 0.0);
    m_min.assign(static_cast<size_t>(2 * m_leaves), kInf);
}

void SumTree::pull(int64_t node) {
    // Recomputed from the children rather than adjusted by a delta, so rounding never drifts.
    m_sum[node] = m_sum[2 * node] + m_sum[2 * node + 1];
    m_min[node] = std::min(m_min[2 * node], m_min[2 * node + 1]);
}

void SumTree::set(int64_t i, double w) {
    if (i < 0 || i >= m_n) throw std::out_of_range("SumTree::set: index " + std::to_string(i));
    if (!(w >= 0) || w == kInf)
        throw std::invalid_argument("SumTree::set: weight must be finite and >= 0");
    int64_t node = m_leaves + i;
    m_sum[node] = w;
    m_min[node] = w > 0 ? w : kInf;
    for (node /= 2; node >= 1; node /= 2) pull(node);
}

int64_t SumTree::find(double mass) const {
    if (!(total() > 0)) return -1;
    mass = std::clamp(mass, 0.0, total());
    int64_t node = 1;
    while (node < m_leaves) {
        const int64_t left = 2 * node;
        // Going right into an empty subtree can only happen through rounding at the top end.
        if (mass < m_sum[left] || m_sum[left + 1] <= 0) {
            node = left;
        } else {
            mass -= m_sum[left];
            node = left + 1;
        }
    }
    return node - m_leaves;
}

}  // namespace wb::engine::data
