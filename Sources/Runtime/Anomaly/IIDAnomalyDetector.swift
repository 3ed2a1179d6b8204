import Foundation
import Planner

/// ML.NET's IID anomaly detectors, as ASA's AnomalyDetection_SpikeAndDip and
/// AnomalyDetection_ChangePoint name them (see `../shared/anomaly/ALGORITHM.md`).
///
/// Each event is scored against the previous `historySize` values with a Gaussian kernel density
/// estimate whose bandwidth adapts to the history's spread: the p-value is
/// `(1/n) Σ Φ((bᵢ - x) / σ)`. SpikeAndDip reports the (side-adjusted, clamped) p-value; ChangePoint
/// bets on it with a power martingale (ε = 0.1) over the same window.
///
/// Arithmetic follows ML.NET exactly so scores agree bit for bit: inputs and history are float32,
/// the sum of squared pairwise distances is updated incrementally in ML.NET's order, and erf is the
/// Abramowitz–Stegun 7.1.26 approximation ML.NET uses (so erf(0) = 1e-9).
package struct IIDAnomalyDetector: Sendable {
    package enum Kind: Sendable, Equatable {
        case spikeAndDip(AnomalyMode)
        case changePoint
    }

    package let kind: Kind
    package let window: Int
    /// p-value at or below which SpikeAndDip alerts; martingale at or above which ChangePoint alerts.
    package let threshold: Double

    /// The last `window` values, oldest first, as a ring: `history[(start + i) % window]`.
    private var history: [Float]
    private var start = 0
    private var count = 0
    /// Σ over pairs of history values of their squared distance (= n² σ²).
    private var sumSquared = 0.0
    /// ChangePoint: the last `window` log-bets as a ring, their sum, and the alert suppression counter.
    private var bets: [Double]
    private var betStart = 0
    private var betCount = 0
    private var logMartingale = 0.0
    private var alertCounter = 0
    /// Scratch space for one event's erf terms (not state: never checkpointed or compared).
    private var erfScratch: [Double] = []

    static let minPValue = 1e-8, maxPValue = 1 - 1e-8
    static let epsilon = 0.1

    package init(kind: Kind, confidence: Double, historySize: Int) {
        self.kind = kind
        window = historySize
        history = Array(repeating: 0, count: historySize)
        bets = kind == .changePoint ? Array(repeating: 0, count: historySize) : []
        switch kind {
        case .spikeAndDip: threshold = 1 - confidence / 100
        case .changePoint: threshold = exp(Double(historySize) * Self.logBet(1 - confidence / 100))
        }
    }

    /// The power martingale's log-bet for p-value `p`: ln ε + (ε - 1) ln p.
    @inline(__always)
    static func logBet(_ p: Double) -> Double { log(epsilon) + (epsilon - 1) * (p == 0 ? -.infinity : log(p)) }

    /// Scores one value and adds it to the history. Returns the ASA Score and IsAnomaly.
    package mutating func update(_ input: Double) -> (score: Double, isAnomaly: Bool) {
        let x = Float(input)
        let p = sideAdjusted(pValue(x))
        // The value enters the history after it is scored.
        if count < window {
            history[(start + count) % window] = x
            count += 1
        } else {
            history[start] = x
            start = (start + 1) % window
        }
        let full = count == window
        switch kind {
        case .spikeAndDip:
            return (p, full && p <= threshold)
        case .changePoint:
            let bet = Self.logBet(p)
            if betCount == 0 {
                // The first bet fills the whole window.
                for i in 0..<window { bets[i] = bet }
                betCount = window
                logMartingale += Double(window) * bet
            } else {
                logMartingale += bet
                logMartingale -= bets[betStart]
                bets[betStart] = bet
                betStart = (betStart + 1) % window
            }
            let martingale = exp(logMartingale)
            var alert = false
            if full {
                alert = martingale >= threshold
                if alert {
                    // After an alert, the next window - 1 events cannot alert.
                    if alertCounter > 0 { alert = false } else { alertCounter = window }
                }
                alertCounter = max(alertCounter - 1, 0)
            }
            return (martingale, alert)
        }
    }

    private func sideAdjusted(_ p: Double) -> Double {
        var q = p
        switch kind {
        case .spikeAndDip(.dips): q = 1 - p
        case .spikeAndDip(.spikesAndDips), .changePoint: q = min(p, 1 - p)
        case .spikeAndDip(.spikes): break
        }
        return Swift.min(Swift.max(q, Self.minPValue), Self.maxPValue)
    }

    /// The kernel p-value of `x` against the history, updating the pairwise distance sum.
    /// The erf terms are computed four at a time (`VectorErf`); the sums run in ML.NET's order.
    private mutating func pValue(_ x: Float) -> Double {
        let n = count
        guard n > 0 else { return 0.5 }
        let xd = Double(x)
        var bandwidth = 2.0.squareRoot() * (n == 1 ? 1 : sumSquared.squareRoot() / Double(n))
        bandwidth = Swift.max(bandwidth, 1e-6)
        var p = 0.0
        var s = sumSquared
        if erfScratch.count < window { erfScratch = Array(repeating: 0, count: window) }
        history.withUnsafeBufferPointer { h in
            erfScratch.withUnsafeMutableBufferPointer { e in
                // swiftlint:disable force_unwrapping
                // The ring's two runs, oldest first: [start, end of storage) then [0, start).
                let first = Swift.min(n, window - start)
                VectorErf.erfOfDistances(xd, h.baseAddress! + start, count: first, bandwidth: bandwidth, into: e.baseAddress!)
                VectorErf.erfOfDistances(xd, h.baseAddress!, count: n - first, bandwidth: bandwidth, into: e.baseAddress! + first)
                // swiftlint:enable force_unwrapping
            }
            var i = start
            for k in 0..<n {
                let diff = xd - Double(h[i])
                p -= erfScratch[k]
                s += diff * diff
                i += 1
                if i == window { i = 0 }
            }
            if n == window {
                // The oldest value leaves after this event: remove its distances.
                let oldest = Double(h[start])
                var j = start + 1
                for _ in 1..<n {
                    if j == window { j = 0 }
                    let diff = oldest - Double(h[j])
                    s -= diff * diff
                    j += 1
                }
                let diff = oldest - xd
                s -= diff * diff
            }
        }
        sumSquared = s
        return 0.5 + p / Double(2 * n)
    }

    /// Writes the detector's state (its parameters are rebuilt from the query).
    package func checkpoint(into w: inout StateWriter) {
        w.write(count)
        for i in 0..<count { w.write(history[(start + i) % window]) }
        w.write(sumSquared)
        w.write(betCount)
        for i in 0..<betCount { w.write(bets[(betStart + i) % window]) }
        w.write(logMartingale)
        w.write(alertCounter)
    }

    /// Restores state written by `checkpoint` into a detector built with the same parameters.
    package mutating func restore(from r: inout StateReader) throws(StateError) {
        let n = try r.readInt()
        guard n >= 0, n <= window else { throw StateError("anomaly detector history of \(n) values exceeds historySize \(window)") }
        start = 0
        count = n
        for i in 0..<n { history[i] = try r.readFloat() }
        sumSquared = try r.readDouble()
        let b = try r.readInt()
        guard b == 0 || (b == window && kind == .changePoint) else { throw StateError("anomaly detector martingale window does not match") }
        betStart = 0
        betCount = b
        for i in 0..<b { bets[i] = try r.readDouble() }
        logMartingale = try r.readDouble()
        alertCounter = try r.readInt(in: 0..<(window + 1), "an alert counter")
    }
}
