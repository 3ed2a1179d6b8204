import Foundation
import Planner

/// A geography read from a GeoJSON record or a WKT string. Coordinates are (longitude, latitude)
/// in degrees, as GeoJSON orders them.
enum Geometry {
    typealias Position = (lon: Double, lat: Double)
    case point(Position)
    case lineString([Position])
    /// Rings: the outer ring first, then holes. Rings are treated as closed.
    case polygon([[Position]])

    /// Parses a GeoJSON record (`{"type":"Point","coordinates":[lon,lat]}`, `LineString`, `Polygon`)
    /// or WKT text (`POINT(lon lat)`, `LINESTRING(...)`, `POLYGON((...), ...)`).
    init(_ v: Value, function: String) throws(EvalError) {
        switch v {
        case .record(let r):
            guard let type = r["type"].flatMap(Conversions.string), let coordinates = r["coordinates"] else {
                throw EvalError("\(function) needs a GeoJSON geography (type and coordinates)")
            }
            switch type.lowercased() {
            case "point": self = .point(try Self.position(coordinates, function))
            case "linestring": self = .lineString(try Self.positions(coordinates, function))
            case "polygon":
                guard case .array(let rings) = coordinates, let first = rings.first else {
                    throw EvalError("\(function): a Polygon needs coordinates")
                }
                // ASA's own examples sometimes drop the ring level: [[x,y], ...] for [[[x,y], ...]].
                if case .array(let p) = first, let inner = p.first, !Self.isArray(inner) {
                    self = .polygon([try Self.positions(coordinates, function)])
                } else {
                    var out: [[Position]] = []
                    for ring in rings { out.append(try Self.positions(ring, function)) }
                    self = .polygon(out)
                }
            default:
                throw EvalError("\(function) does not support the geography type '\(type)'")
            }
        case .string(let text):
            self = try WellKnownText.parse(text, function: function)
        default:
            throw EvalError("\(function) needs a geography (a GeoJSON record or WKT text), not \(v.typeName)")
        }
    }

    private static func isArray(_ v: Value) -> Bool { if case .array = v { return true } else { return false } }

    static func position(_ v: Value, _ function: String) throws(EvalError) -> Position {
        guard case .array(let xy) = v, xy.count >= 2, case .some(let lon) = try Conversions.double(xy[0]),
              case .some(let lat) = try Conversions.double(xy[1]) else {
            throw EvalError("\(function): a position is [longitude, latitude]")
        }
        return (lon, lat)
    }

    static func positions(_ v: Value, _ function: String) throws(EvalError) -> [Position] {
        guard case .array(let list) = v else { throw EvalError("\(function): expected an array of positions") }
        var out: [Position] = []
        for p in list { out.append(try position(p, function)) }
        return out
    }

    /// The record ASA's constructors return.
    var value: Value {
        func pos(_ p: Position) -> Value { .array([.float(p.lon), .float(p.lat)]) }
        switch self {
        case .point(let p):
            return .record(Record(names: ["type", "coordinates"], values: [.string("Point"), pos(p)]))
        case .lineString(let ps):
            return .record(Record(names: ["type", "coordinates"], values: [.string("LineString"), .array(ps.map(pos))]))
        case .polygon(let rings):
            return .record(Record(names: ["type", "coordinates"],
                                  values: [.string("Polygon"), .array(rings.map { .array($0.map(pos)) })]))
        }
    }

    /// Vertices of every part.
    var vertices: [Position] {
        switch self {
        case .point(let p): return [p]
        case .lineString(let ps): return ps
        case .polygon(let rings): return rings.flatMap { $0 }
        }
    }

    /// Edges: a line string's segments, every ring's sides (closing the ring).
    var segments: [(Position, Position)] {
        switch self {
        case .point: return []
        case .lineString(let ps): return zip(ps, ps.dropFirst()).map { ($0, $1) }
        case .polygon(let rings):
            return rings.flatMap { ring -> [(Position, Position)] in
                guard let first = ring.first, let last = ring.last else { return [] }
                var s = zip(ring, ring.dropFirst()).map { ($0, $1) }
                if first != last { s.append((last, first)) }
                return s
            }
        }
    }
}
