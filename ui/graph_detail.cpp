#include "ui/graph_detail.h"

#include <algorithm>
#include <cmath>

namespace wb::ui {

GraphDetail::GraphDetail() : m_full(new QCPGraphDataContainer) {}

void GraphDetail::add(const QVector<double>& keys, const QVector<double>& values) {
    const int n = static_cast<int>(std::min(keys.size(), values.size()));
    if (n == 0) return;
    QVector<QCPGraphData> points(n);
    bool sorted = true;
    for (int i = 0; i < n; ++i) {
        points[i] = QCPGraphData(keys[i], values[i]);
        if (i > 0 && keys[i] < keys[i - 1]) sorted = false;
    }
    // A resumed run can restart below its last step: then the order of old points changes and
    // every summary is rebuilt from scratch; a plain append only redoes the last buckets.
    const bool appends = sorted && (m_full->isEmpty() || keys[0] >= (m_full->constEnd() - 1)->key);
    m_full->add(points, sorted);
    if (!appends) m_summaries.clear();
}

void GraphDetail::clear() {
    m_full->clear();
    m_summaries.clear();
}

GraphDetail::Summary& GraphDetail::summary(int bucket) {
    for (auto& s : m_summaries)
        if (s.bucket == bucket) return s;
    Summary s;
    s.bucket = bucket;
    s.data.reset(new QCPGraphDataContainer);
    m_summaries.push_back(std::move(s));
    return m_summaries.back();
}

void GraphDetail::update(Summary& s) {
    const int n = m_full->size();
    if (s.syncedTo == n) return;
    s.points.resize(static_cast<std::size_t>(s.pointsOfComplete));
    const auto begin = m_full->constBegin();
    for (int first = s.complete * s.bucket; first < n; first += s.bucket) {
        const int last = std::min(n, first + s.bucket);
        int lo = first, hi = first;
        for (int i = first + 1; i < last; ++i) {
            const double v = (begin + i)->value;
            // NaN compares false both ways, so it never becomes an extreme.
            if (v < (begin + lo)->value || std::isnan((begin + lo)->value)) lo = i;
            if (v > (begin + hi)->value || std::isnan((begin + hi)->value)) hi = i;
        }
        s.points.push_back(*(begin + std::min(lo, hi)));
        if (lo != hi) s.points.push_back(*(begin + std::max(lo, hi)));
        if (last - first == s.bucket) {
            ++s.complete;
            s.pointsOfComplete = static_cast<int>(s.points.size());
        }
    }
    s.data->set(QVector<QCPGraphData>(s.points.begin(), s.points.end()), true);
    s.syncedTo = n;
}

void GraphDetail::show(QCPGraph* graph, double lower, double upper, int pixels) {
    const int visible = static_cast<int>(m_full->findEnd(upper) - m_full->findBegin(lower));
    const int perPixel = visible / std::max(1, pixels);
    int bucket = 1;
    if (perPixel >= kSummaryFactor)
        while (static_cast<long long>(bucket) * kBase <= perPixel) bucket *= kBase;
    QSharedPointer<QCPGraphDataContainer> data = m_full;
    if (bucket > 1) {
        Summary& s = summary(bucket);
        update(s);
        data = s.data;
    }
    if (graph->data() != data) graph->setData(data);
    m_shownBucket = bucket;
}

}  // namespace wb::ui
