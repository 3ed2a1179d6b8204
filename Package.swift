// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "saql",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "SAQL", targets: ["SAQL"]),
        .executable(name: "saql", targets: ["saql"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
    ],
    targets: [
        .systemLibrary(name: "CRdKafka", path: "Sources/CRdKafka", pkgConfig: "rdkafka",
                       providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CJavaScriptCore", path: "Sources/CJavaScriptCore", pkgConfig: "javascriptcoregtk-4.1",
                       providers: [.apt(["libjavascriptcoregtk-4.1-dev"])]),
        .systemLibrary(name: "CPCRE2", path: "Sources/CPCRE2", pkgConfig: "libpcre2-8",
                       providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CPostgres", path: "Sources/CPostgres", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CMosquitto", path: "Sources/CMosquitto", pkgConfig: "libmosquitto",
                       providers: [.apt(["libmosquitto-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CCrashGuard", path: "Sources/CCrashGuard"),
        .target(name: "SAQLParser"),
        .target(name: "Planner", dependencies: ["SAQLParser"]),
        .target(name: "Runtime", dependencies: [
            "Planner", "CSQLite", "CRdKafka", "CJavaScriptCore", "CPCRE2", "CCrashGuard", "CPostgres", "CMosquitto", "CCurl",
            .product(name: "Collections", package: "swift-collections"),
        ]),
        .target(name: "SAQL", dependencies: ["SAQLParser", "Planner", "Runtime"]),
        .executableTarget(name: "saql", dependencies: [
            "SAQL", "SAQLParser", "Planner", "Runtime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .executableTarget(name: "saql-bench", dependencies: ["SAQL", "SAQLParser", "Planner", "Runtime"]),
        .executableTarget(name: "saql-fuzz", dependencies: ["SAQL", "SAQLParser", "Planner", "Runtime"]),
        .testTarget(name: "SAQLParserTests", dependencies: ["SAQLParser"]),
        .testTarget(name: "PlannerTests", dependencies: ["Planner", "Runtime"]),
        .testTarget(name: "RuntimeTests", dependencies: ["SAQL", "SAQLParser", "Planner", "Runtime"], exclude: ["Fixtures"]),
        .testTarget(name: "CorpusTests", dependencies: ["SAQL", "SAQLParser", "Planner", "Runtime"], exclude: ["Corpus"]),
        .testTarget(name: "KafkaTests", dependencies: ["SAQL", "SAQLParser", "Planner", "Runtime"]),
    ]
)
