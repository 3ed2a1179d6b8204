import Foundation
import Planner
import Runtime
import SAQLParser

/// An ASA project as the VS Code extension writes it (`asaproj.json`): the query (`startFile`),
/// `JobConfig.json`, the test suite in `Test/testConfig.json`, local input files, and JavaScript
/// functions in `Functions/NAME.js` beside their `NAME.js.json`.
///
/// Loading reads every file it names; a function saql cannot run (C#, Azure ML) or a config it
/// cannot read is an error naming the file, so a project never runs with a function missing.
package struct ASAProject: Sendable {
    /// The project's directory (where its relative paths start).
    package var directory: String
    /// The query file.
    package var queryPath: String
    /// `JobConfig.json`, when the project has one.
    package var jobConfigPath: String?
    /// The test suite, when the project has one.
    package var testConfigPath: String?
    /// Local inputs (`ScriptType: InputMock` files): input name → file, with its format.
    package var localInputs: [String: EndpointSpec] = [:]
    /// Local reference inputs, likewise.
    package var localReferences: [String: EndpointSpec] = [:]
    /// The functions in `Functions/`, as declarations.
    package var functions: [UserFunctionDeclaration] = []

    /// Reads `asaproj.json` at `path` and what it refers to.
    package static func load(_ path: String) throws(SAQLError) -> ASAProject {
        let dir = (path as NSString).deletingLastPathComponent
        let base = dir.isEmpty ? "." : dir
        guard let p = jsonObject(path) else { throw .project(path: path, "not a readable asaproj.json") }
        guard let start = string(p, "startFile") else { throw .project(path: path, "names no startFile (the query)") }
        var project = ASAProject(directory: base, queryPath: base + "/" + normalized(start))
        var configurations: [(path: String, subType: String)] = []
        for c in array(p, "configurations") {
            guard let file = string(c, "filePath") else { continue }
            configurations.append((base + "/" + normalized(file), string(c, "subType") ?? ""))
        }
        project.jobConfigPath = configurations.first { $0.subType.caseInsensitiveEquals("JobConfig") }?.path
            ?? existing(base + "/JobConfig.json")
        project.testConfigPath = existing(base + "/Test/testConfig.json")
        try project.loadLocalInputs(configurations.map(\.path))
        try project.loadFunctions(configurations.map(\.path))
        return project
    }

    /// `ScriptType: InputMock` files among the configurations and in `Inputs/`.
    private mutating func loadLocalInputs(_ configured: [String]) throws(SAQLError) {
        for file in Set(configured + Self.files(in: directory + "/Inputs", ending: ".json")).sorted() where file.hasSuffix(".json") {
            guard let o = Self.jsonObject(file), Self.string(o, "ScriptType")?.caseInsensitiveEquals("InputMock") == true,
                  let alias = Self.string(o, "InputAlias"), let data = Self.string(o, "FilePath") else { continue }
            let format: DataFormat = Self.string(o, "Format")?.caseInsensitiveEquals("csv") == true ? .csv : .json
            let spec = EndpointSpec.file(path: Self.resolve(Self.normalized(data), against: (file as NSString).deletingLastPathComponent),
                                         format: format)
            if Self.string(o, "Type")?.lowercased().hasPrefix("reference") == true { localReferences[alias] = spec } else { localInputs[alias] = spec }
        }
    }

    /// Every `Functions/NAME.js` (and any `.js.json` the configurations list), with its config.
    private mutating func loadFunctions(_ configured: [String]) throws(SAQLError) {
        var configs = Set(Self.files(in: directory + "/Functions", ending: ".json"))
        for c in configured where c.lowercased().hasSuffix(".json") && c.contains("/Functions/") { configs.insert(c) }
        for config in configs.sorted() {
            guard let o = Self.jsonObject(config) else { throw .project(path: config, "not a readable function config") }
            let file = (config as NSString).lastPathComponent
            // NAME.js.json configures NAME.js; ASA names the function after the file.
            let stem = file.lowercased().hasSuffix(".js.json") ? String(file.dropLast(8)) : String(file.dropLast(5))
            // The ARM shape: { Properties: { Type: Scalar|Aggregate, Properties: { Inputs, Output, Binding } } }.
            let outer = Self.object(o, "Properties") ?? o
            let inner = Self.object(outer, "Properties") ?? outer
            let binding = Self.object(inner, "Binding").flatMap { Self.string($0, "Type") } ?? ""
            if binding.lowercased().contains("clrudf") || binding.lowercased().contains("machinelearning") {
                throw .project(path: config, "function '\(stem)' is \(binding): saql runs JavaScript functions only")
            }
            let kindText = Self.string(outer, "Type") ?? "Scalar"
            guard let kind = UserFunctionDeclaration.Kind(rawValue: kindText.lowercased()) else {
                throw .project(path: config, "function type '\(kindText)' is neither Scalar nor Aggregate")
            }
            var inputs: [DataType]?
            if let list = Self.arrayIfPresent(inner, "Inputs") {
                var types: [DataType] = []
                for i in list {
                    let name = Self.string(i, "DataType") ?? "any"
                    guard let t = Self.dataType(name) else { throw .project(path: config, "unknown input type '\(name)'") }
                    types.append(t)
                }
                inputs = types
            }
            var output: DataType?
            if let name = Self.object(inner, "Output").flatMap({ Self.string($0, "DataType") }) {
                guard let t = Self.dataType(name) else { throw .project(path: config, "unknown output type '\(name)'") }
                output = t == .any ? nil : t
            }
            // The code: NAME.js beside the config, else a script inside the binding.
            let codePath = (config as NSString).deletingLastPathComponent + "/" + stem + ".js"
            let code: String
            if let text = try? String(contentsOfFile: codePath, encoding: .utf8) {
                code = text
            } else if let script = Self.object(inner, "Binding").flatMap({ Self.object($0, "Properties") }).flatMap({ Self.string($0, "Script") }) {
                code = script
            } else {
                throw .project(path: config, "function '\(stem)' has no code: \(codePath) is missing")
            }
            functions.append(UserFunctionDeclaration(name: stem, kind: kind, language: "javascript", code: code, origin: codePath,
                                                     inputs: inputs, output: output, range: .unknown))
        }
    }

    /// The bindings a project gives a run: its local inputs, its functions, its job directory.
    package func overrides(_ base: BindingOverrides = BindingOverrides()) -> BindingOverrides {
        var o = base
        for (k, v) in localInputs where o.inputs[k] == nil { o.inputs[k] = v }
        for (k, v) in localReferences where o.references[k] == nil { o.references[k] = v }
        o.functions += functions
        o.jobDirectory = o.jobDirectory ?? directory
        return o
    }

    // MARK: reading loosely-cased JSON (ASA's tools write both `Inputs` and `inputs`)

    private static func jsonObject(_ path: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        // The tools write a UTF-8 byte-order mark at times.
        let body = data.starts(with: [0xEF, 0xBB, 0xBF]) ? data.dropFirst(3) : data
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
    private static func value(_ o: [String: Any], _ key: String) -> Any? {
        o[key] ?? o.first { $0.key.caseInsensitiveEquals(key) }?.value
    }
    private static func string(_ o: [String: Any], _ key: String) -> String? { value(o, key) as? String }
    private static func object(_ o: [String: Any], _ key: String) -> [String: Any]? { value(o, key) as? [String: Any] }
    private static func arrayIfPresent(_ o: [String: Any], _ key: String) -> [[String: Any]]? { value(o, key) as? [[String: Any]] }
    private static func array(_ o: [String: Any], _ key: String) -> [[String: Any]] { arrayIfPresent(o, key) ?? [] }
    private static func dataType(_ name: String) -> DataType? { name.caseInsensitiveEquals("any") ? .any : DataType(typeName: name) }
    /// Windows separators, as the tools write them.
    private static func normalized(_ path: String) -> String { path.replacingOccurrences(of: "\\", with: "/") }
    private static func resolve(_ path: String, against dir: String) -> String { path.hasPrefix("/") ? path : dir + "/" + path }
    private static func existing(_ path: String) -> String? { FileManager.default.fileExists(atPath: path) ? path : nil }
    private static func files(in dir: String, ending suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.lowercased().hasSuffix(suffix) }.map { dir + "/" + $0 }
    }
}
