// swift-tools-version: 6.1
// An IoT edge gateway that runs saql in-process: `swift run --package-path Examples/EdgeGateway`.
import PackageDescription

let package = Package(
    name: "EdgeGateway",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "saql", path: "../..")],
    targets: [
        .executableTarget(name: "EdgeGateway", dependencies: [.product(name: "SAQL", package: "saql")]),
    ]
)
