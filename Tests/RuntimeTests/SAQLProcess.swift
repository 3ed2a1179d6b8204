import Foundation

/// Runs the built `saql` binary to completion; returns its exit status and standard output (with
/// standard error too when `includingErrors`).
func runSAQL(_ arguments: [String], includingErrors: Bool = false, environment: [String: String] = [:]) throws -> (status: Int32, stdout: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: ExampleJobTests.root + "/.build/debug/saql")
    p.arguments = arguments
    if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = includingErrors ? out : FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
