import Foundation
import Planner

/// Reads the WKT forms ASA accepts: POINT, LINESTRING and POLYGON.
enum WellKnownText {
    static func parse(_ text: String, function: String) throws(EvalError) -> Geometry {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let open = t.firstIndex(of: "("), t.hasSuffix(")") else { throw EvalError("\(function): '\(text.prefix(40))' is not WKT") }
        let kind = t[..<open].trimmingCharacters(in: .whitespaces).uppercased()
        let body = t[t.index(after: open)..<t.index(before: t.endIndex)]
        func positions(_ s: Substring) throws(EvalError) -> [Geometry.Position] {
            var out: [Geometry.Position] = []
            for pair in s.split(separator: ",") {
                let xy = pair.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard xy.count >= 2, let lon = Double(xy[0]), let lat = Double(xy[1]) else {
                    throw EvalError("\(function): '\(pair)' is not a WKT position")
                }
                out.append((lon, lat))
            }
            return out
        }
        switch kind {
        case "POINT":
            guard let p = try positions(body).first else { throw EvalError("\(function): empty POINT") }
            return .point(p)
        case "LINESTRING":
            return .lineString(try positions(body))
        case "POLYGON":
            var rings: [[Geometry.Position]] = []
            var rest = body[...]
            while let o = rest.firstIndex(of: "("), let c = rest[o...].firstIndex(of: ")") {
                rings.append(try positions(rest[rest.index(after: o)..<c]))
                rest = rest[rest.index(after: c)...]
            }
            guard !rings.isEmpty else { throw EvalError("\(function): a POLYGON needs a ring") }
            return .polygon(rings)
        default:
            throw EvalError("\(function) does not support WKT '\(kind)'")
        }
    }
}
