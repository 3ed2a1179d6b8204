/// ML.NET's erf approximation over a buffer of history values, in one call-free loop.
///
/// Every step is the same IEEE operation as ML.NET's scalar erf except `exp`, computed inline with
/// Cody–Waite range reduction and a degree-13 Taylor polynomial (within 1 ulp of libm's). `exp(-z²)`
/// only scales a term below 1 that is subtracted from 1, so erf moves by at most 1 ulp and scores stay
/// within a float32 ulp of the reference (checked against the vectors). Without a libm call in the
/// loop the compiler can keep it in registers and vectorize it; the whole p-value costs less than half.
enum VectorErf {
    /// `out[i] = erf((x - history[i]) / bandwidth)` for `i < count`.
    @inline(__always)
    static func erfOfDistances(_ x: Double, _ history: UnsafePointer<Float>, count: Int, bandwidth: Double,
                               into out: UnsafeMutablePointer<Double>) {
        for i in 0..<count {
            out[i] = erf((x - Double(history[i])) / bandwidth)
        }
    }

    @inline(__always)
    static func erf(_ z: Double) -> Double {
        let a = z < 0 ? -z : z
        let t = 1 / (1 + 0.3275911 * a)
        // ((((a5 t + a4) t + a3) t + a2) t + a1) t, step by step as ML.NET evaluates it.
        var poly = 1.061405429 * t
        poly = (poly + -1.453152027) * t
        poly = (poly + 1.421413741) * t
        poly = (poly + -0.284496736) * t
        poly = (poly + 0.254829592) * t
        let ev = 1 - poly * exp(-(z * z))
        return z < 0 ? -ev : ev
    }

    /// e^y for y ≤ 0. Below -708 the result is taken as 0: there e^y < 1e-307, and erf is ±1 exactly.
    @inline(__always)
    static func exp(_ y0: Double) -> Double {
        let y = y0 < -708 ? -708 : y0
        // Round to nearest by adding 1.5 * 2^52: the sum's low bits then hold k as an integer, so no
        // libm call or double-to-int conversion stands in the way of vectorizing the loop.
        let shifted = y * 1.4426950408889634 + 6_755_399_441_055_744.0
        let k = shifted - 6_755_399_441_055_744.0
        // ln 2 split so that k * ln2Hi is exact.
        let r = (y - k * 0.6931471803691238) - k * 1.9082149292705877e-10
        // Σ r^n / n!, n = 0...13, by Horner's rule (coefficients 1/n!).
        var p = r * 1.6059043836821613e-10 + 2.08767569878681e-09
        p = p * r + 2.505210838544172e-08
        p = p * r + 2.755731922398589e-07
        p = p * r + 2.7557319223985893e-06
        p = p * r + 2.48015873015873e-05
        p = p * r + 0.0001984126984126984
        p = p * r + 0.001388888888888889
        p = p * r + 0.008333333333333333
        p = p * r + 0.041666666666666664
        p = p * r + 0.16666666666666666
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2^k from its exponent bits: the low 12 bits of `shifted` are k (≥ -1022 after the clamp).
        return p * Double(bitPattern: (shifted.bitPattern &+ 1023) &<< 52)
    }
}
