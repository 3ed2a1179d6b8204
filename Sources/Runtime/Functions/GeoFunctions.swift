import Foundation
import Planner

/// ASA's geospatial functions. Distances are geodesic on the WGS 84 ellipsoid; containment and
/// intersection are computed on longitude/latitude as plane coordinates, which is exact enough
/// for geofences and roads (city scale) and is what "geometric projected" semantics implies.
enum GeoFunctions {
    static let all: [BuiltinFunction] = [
        BuiltinFunction("CREATEPOINT", .args(.number, .number), returns: Returns.fixed(.anyRecord),
                        doc: "a GeoJSON point from latitude and longitude") { v throws(EvalError) in
            guard let lat = try Conversions.double(v[0]), let lon = try Conversions.double(v[1]) else { return .null }
            return Geometry.point((lon, lat)).value
        },
        BuiltinFunction("CREATELINESTRING", FunctionSignature(arity: 2...254, arguments: [.value]), returns: Returns.fixed(.anyRecord),
                        doc: "a GeoJSON line string through the points") { v throws(EvalError) in
            let points = try v.map { a throws(EvalError) in try point(a, "CreateLineString") }
            guard points.count >= 2 else { throw EvalError("CreateLineString needs at least 2 points") }
            return Geometry.lineString(points).value
        },
        BuiltinFunction("CREATEPOLYGON", FunctionSignature(arity: 4...254, arguments: [.value]), returns: Returns.fixed(.anyRecord),
                        doc: "a GeoJSON polygon whose last point closes the ring") { v throws(EvalError) in
            let points = try v.map { a throws(EvalError) in try point(a, "CreatePolygon") }
            guard points.count >= 4, let first = points.first, let last = points.last, first == last else {
                throw EvalError("CreatePolygon needs at least 3 distinct points, the last equal to the first")
            }
            return Geometry.polygon([points]).value
        },
        BuiltinFunction("ST_DISTANCE", .args(.value, .value), returns: Returns.fixed(.float), doc: "metres between two geographies") { v throws(EvalError) in
            .float(distance(try Geometry(v[0], function: "ST_DISTANCE"), try Geometry(v[1], function: "ST_DISTANCE")))
        },
        BuiltinFunction("ST_WITHIN", .args(.value, .value), returns: Returns.fixed(.bigint),
                        doc: "1 when the first geography lies within the second") { v throws(EvalError) in
            .bigint(within(try Geometry(v[0], function: "ST_WITHIN"), try Geometry(v[1], function: "ST_WITHIN")) ? 1 : 0)
        },
        BuiltinFunction("ST_INTERSECTS", .args(.value, .value), returns: Returns.fixed(.bigint), doc: "1 when the geographies intersect") { v throws(EvalError) in
            .bigint(intersects(try Geometry(v[0], function: "ST_INTERSECTS"), try Geometry(v[1], function: "ST_INTERSECTS")) ? 1 : 0)
        },
        BuiltinFunction("ST_OVERLAPS", .args(.value, .value), returns: Returns.fixed(.bigint),
                        doc: "1 when the geographies intersect and neither lies within the other") { v throws(EvalError) in
            let a = try Geometry(v[0], function: "ST_OVERLAPS"), b = try Geometry(v[1], function: "ST_OVERLAPS")
            return .bigint(intersects(a, b) && !within(a, b) && !within(b, a) ? 1 : 0)
        },
    ]

    private static func point(_ v: Value, _ function: String) throws(EvalError) -> Geometry.Position {
        guard case .point(let p) = try Geometry(v, function: function) else { throw EvalError("\(function) takes points") }
        return p
    }

    /// Metres between two geographies: geodesic between points; 0 when a polygon is involved (as
    /// documented); for line strings, the distance to the nearest segment.
    static func distance(_ a: Geometry, _ b: Geometry) -> Double {
        switch (a, b) {
        case (.polygon, _), (_, .polygon): return 0
        case (.point(let p), .point(let q)): return geodesic(p, q)
        case (.point(let p), .lineString), (.lineString, .point(let p)):
            let line = if case .lineString = a { a } else { b }
            return line.segments.map { segmentDistance(p, $0.0, $0.1) }.min() ?? 0
        default:
            if intersects(a, b) { return 0 }
            var best = Double.infinity
            for p in a.vertices { for s in b.segments { best = min(best, segmentDistance(p, s.0, s.1)) } }
            for p in b.vertices { for s in a.segments { best = min(best, segmentDistance(p, s.0, s.1)) } }
            return best
        }
    }

    /// Vincenty's inverse formula on WGS 84 (millimetre accuracy); falls back to a spherical
    /// great circle for nearly antipodal points, where the iteration may not converge.
    static func geodesic(_ p: Geometry.Position, _ q: Geometry.Position) -> Double {
        let a = 6_378_137.0, f = 1 / 298.257223563, b = (1 - f) * a
        let rad = Double.pi / 180
        let L = (q.lon - p.lon) * rad
        let u1 = atan((1 - f) * tan(p.lat * rad)), u2 = atan((1 - f) * tan(q.lat * rad))
        let sinU1 = sin(u1), cosU1 = cos(u1), sinU2 = sin(u2), cosU2 = cos(u2)
        var lambda = L
        for _ in 0..<200 {
            let sinL = sin(lambda), cosL = cos(lambda)
            let sinSigma = ((cosU2 * sinL) * (cosU2 * sinL) + (cosU1 * sinU2 - sinU1 * cosU2 * cosL) * (cosU1 * sinU2 - sinU1 * cosU2 * cosL)).squareRoot()
            if sinSigma == 0 { return 0 }
            let cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosL
            let sigma = atan2(sinSigma, cosSigma)
            let sinAlpha = cosU1 * cosU2 * sinL / sinSigma
            let cos2Alpha = 1 - sinAlpha * sinAlpha
            let cos2SigmaM = cos2Alpha != 0 ? cosSigma - 2 * sinU1 * sinU2 / cos2Alpha : 0
            let C = f / 16 * cos2Alpha * (4 + f * (4 - 3 * cos2Alpha))
            let previous = lambda
            lambda = L + (1 - C) * f * sinAlpha * (sigma + C * sinSigma * (cos2SigmaM + C * cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)))
            if abs(lambda - previous) < 1e-12 {
                let uSq = cos2Alpha * (a * a - b * b) / (b * b)
                let A = 1 + uSq / 16384 * (4096 + uSq * (-768 + uSq * (320 - 175 * uSq)))
                let B = uSq / 1024 * (256 + uSq * (-128 + uSq * (74 - 47 * uSq)))
                let deltaSigma = B * sinSigma * (cos2SigmaM + B / 4 * (cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)
                    - B / 6 * cos2SigmaM * (-3 + 4 * sinSigma * sinSigma) * (-3 + 4 * cos2SigmaM * cos2SigmaM)))
                return b * A * (sigma - deltaSigma)
            }
        }
        let h = pow(sin((q.lat - p.lat) * rad / 2), 2) + cos(p.lat * rad) * cos(q.lat * rad) * pow(sin(L / 2), 2)
        return 2 * 6_371_008.8 * asin(min(1, h.squareRoot()))
    }

    /// Metres from `p` to the segment `a`–`b`, in the plane tangent to the WGS 84 ellipsoid at `p`
    /// (fine below ~100 km).
    static func segmentDistance(_ p: Geometry.Position, _ a: Geometry.Position, _ b: Geometry.Position) -> Double {
        let e2 = 0.00669437999014, rad = Double.pi / 180, phi = p.lat * rad
        let w = 1 - e2 * sin(phi) * sin(phi)
        let perLat = 6_378_137.0 * (1 - e2) / pow(w, 1.5) * rad, perLon = 6_378_137.0 / w.squareRoot() * cos(phi) * rad
        let ax = (a.lon - p.lon) * perLon, ay = (a.lat - p.lat) * perLat
        let bx = (b.lon - p.lon) * perLon, by = (b.lat - p.lat) * perLat
        let dx = bx - ax, dy = by - ay
        let len2 = dx * dx + dy * dy
        let t = len2 == 0 ? 0 : max(0, min(1, -(ax * dx + ay * dy) / len2))
        let x = ax + t * dx, y = ay + t * dy
        return (x * x + y * y).squareRoot()
    }

    /// True when `g` lies inside the polygon `area` (on its boundary counts as inside).
    static func within(_ g: Geometry, _ area: Geometry) -> Bool {
        guard case .polygon(let rings) = area else { return false }
        if !g.vertices.allSatisfy({ contains(rings, $0) }) { return false }
        // No edge of g may cross the area's boundary.
        for s in g.segments { for e in area.segments where properlyCross(s.0, s.1, e.0, e.1) { return false } }
        return true
    }

    /// Even-odd containment over every ring (holes subtract), boundary included.
    static func contains(_ rings: [[Geometry.Position]], _ p: Geometry.Position) -> Bool {
        var inside = false
        for ring in rings where !ring.isEmpty {
            var j = ring.count - 1
            for i in 0..<ring.count {
                let a = ring[i], b = ring[j]
                if onSegment(p, a, b) { return true }
                if (a.lat > p.lat) != (b.lat > p.lat) && p.lon < (b.lon - a.lon) * (p.lat - a.lat) / (b.lat - a.lat) + a.lon {
                    inside.toggle()
                }
                j = i
            }
        }
        return inside
    }

    static func intersects(_ a: Geometry, _ b: Geometry) -> Bool {
        for s in a.segments { for t in b.segments where segmentsTouch(s.0, s.1, t.0, t.1) { return true } }
        if case .polygon(let rings) = b, a.vertices.contains(where: { contains(rings, $0) }) { return true }
        if case .polygon(let rings) = a, b.vertices.contains(where: { contains(rings, $0) }) { return true }
        switch (a, b) {
        case (.point(let p), .point(let q)): return p == q
        case (.point(let p), _): return b.segments.contains { onSegment(p, $0.0, $0.1) }
        case (_, .point(let q)): return a.segments.contains { onSegment(q, $0.0, $0.1) }
        default: return false
        }
    }

    private static func cross(_ o: Geometry.Position, _ a: Geometry.Position, _ b: Geometry.Position) -> Double {
        (a.lon - o.lon) * (b.lat - o.lat) - (a.lat - o.lat) * (b.lon - o.lon)
    }

    static func onSegment(_ p: Geometry.Position, _ a: Geometry.Position, _ b: Geometry.Position) -> Bool {
        cross(a, b, p) == 0 && min(a.lon, b.lon) <= p.lon && p.lon <= max(a.lon, b.lon)
            && min(a.lat, b.lat) <= p.lat && p.lat <= max(a.lat, b.lat)
    }

    /// The segments share at least one point.
    static func segmentsTouch(_ p1: Geometry.Position, _ p2: Geometry.Position, _ q1: Geometry.Position, _ q2: Geometry.Position) -> Bool {
        properlyCross(p1, p2, q1, q2) || onSegment(q1, p1, p2) || onSegment(q2, p1, p2) || onSegment(p1, q1, q2) || onSegment(p2, q1, q2)
    }

    /// The segments cross at a single interior point of both.
    static func properlyCross(_ p1: Geometry.Position, _ p2: Geometry.Position, _ q1: Geometry.Position, _ q2: Geometry.Position) -> Bool {
        let d1 = cross(q1, q2, p1), d2 = cross(q1, q2, p2), d3 = cross(p1, p2, q1), d4 = cross(p1, p2, q2)
        return (d1 > 0 && d2 < 0 || d1 < 0 && d2 > 0) && (d3 > 0 && d4 < 0 || d3 < 0 && d4 > 0)
    }
}
