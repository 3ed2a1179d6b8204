import Foundation
import SAQLParser

/// A function the job brings: declared with `CREATE FUNCTION` (or found in an ASA project's
/// `Functions` folder) and written in a ``FunctionLanguage``. A scalar one is called as
/// `udf.name(...)`, an aggregate as `uda.name(...)`.
package struct UserFunctionDeclaration: Sendable, Hashable, Encodable {
    package enum Kind: String, Sendable, Hashable, Encodable { case scalar, aggregate }

    /// The name as declared (calls match it ignoring case).
    package var name: String
    package var kind: Kind
    /// The language, lower case (`javascript`).
    package var language: String
    /// The function's source text.
    package var code: String
    /// Where the code came from, for messages: the file, or the job when given inline.
    package var origin: String
    /// The declared argument types (`any` where not constrained); `nil`: not declared.
    package var inputs: [DataType]?
    /// The declared result type; `nil`: whatever the code returns.
    package var output: DataType?
    /// The declaration, for diagnostics about the code.
    package var range: SourceRange
    /// The `code = '...'` literal in the job, when the code is inline: an error's line in the code
    /// is then a line of the job.
    package var codeRange: SourceRange?

    package init(name: String, kind: Kind, language: String, code: String, origin: String, inputs: [DataType]? = nil,
                output: DataType? = nil, range: SourceRange) {
        self.name = name
        self.kind = kind
        self.language = language
        self.code = code
        self.origin = origin
        self.inputs = inputs
        self.output = output
        self.range = range
    }

    private enum CodingKeys: String, CodingKey { case name, kind, language, code, inputs, output }

    /// Where line `line` (1-based) of inline code stands in `source`: the whole line, for a caret.
    package func range(ofCodeLine line: Int, in source: String) -> SourceRange? {
        guard let literal = codeRange else { return nil }
        let bytes = Array(source.utf8)
        var i = Int(literal.start) + 1, current = 1
        while current < line, i < Int(literal.end) {
            if bytes[i] == UInt8(ascii: "\n") { current += 1 }
            i += 1
        }
        guard current == line else { return nil }
        var end = i
        while end < Int(literal.end) - 1, bytes[end] != UInt8(ascii: "\n") { end += 1 }
        return SourceRange(start: UInt32(i), end: UInt32(max(end, i + 1)))
    }

    /// What a checkpoint depends on: the name, kind and code, not where the declaration stands.
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name.uppercased(), forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(language, forKey: .language)
        try c.encode(code, forKey: .code)
        try c.encodeIfPresent(inputs, forKey: .inputs)
        try c.encodeIfPresent(output, forKey: .output)
    }

    /// The name in the function registry: `UDF.NAME` or `UDA.NAME`.
    package var registryName: String { (kind == .scalar ? "UDF." : "UDA.") + name.uppercased() }
    /// The name as a query calls it: `udf.name` or `uda.name`.
    package var callName: String { (kind == .scalar ? "udf." : "uda.") + name }
}

/// A language user functions are written in. It turns a job's declarations into function
/// definitions once per compiled job (JavaScript: one engine context holding every function,
/// each compiled once); a problem in the code is a diagnostic at its declaration.
package protocol FunctionLanguage: Sendable {
    /// The `language` option that selects it, lower case.
    var name: String { get }
    /// Definitions for every declaration in this language. `settings` carries per-call limits;
    /// `source` is the job's text, for diagnostics at a line of inline code.
    func define(_ declarations: [UserFunctionDeclaration], settings: JobSettings, source: String)
        -> (scalars: [any ScalarFunctionDefinition], aggregates: [any AggregateFunctionDefinition], diagnostics: [Diagnostic])
}

extension HeaderBinder {
    /// `CREATE FUNCTION name WITH (language, kind, code | path [, inputs, output])`.
    mutating func bindFunction(_ f: CreateFunctionStatement, header: JobHeader) -> UserFunctionDeclaration? {
        var options: [String: (value: String, range: SourceRange, key: SourceRange)] = [:]
        for o in f.options { options[o.key.text.lowercased()] = (substitute(o.value), o.value.range, o.key.range) }
        let known = ["language", "kind", "code", "path", "inputs", "output"]
        for o in f.options where !known.contains(o.key.text.lowercased()) {
            var helps: [Diagnostic.Help] = [.init("a function takes \(known.joined(separator: ", "))")]
            if let near = Suggest.closest(o.key.text, in: known) { helps.insert(.init("did you mean '\(near)'?", replacing: o.key.range, with: near), at: 0) }
            diagnostics.append(.error("SAQL3020", "unknown function option '\(o.key.text)'", at: o.key.range, helps: helps))
        }
        if header.functions.contains(where: { $0.name.caseInsensitiveEquals(f.name.text) }) {
            diagnostics.append(.error("SAQL3021", "function '\(f.name.text)' is declared twice", at: f.name.range))
            return nil
        }
        let languages = catalog.languages.keys.sorted()
        let language = options["language"]?.value.lowercased() ?? "javascript"
        guard catalog.languages[language] != nil else {
            diagnostics.append(.error("SAQL3022", "unknown function language '\(language)'", at: options["language"]?.range ?? f.name.range,
                                      helps: [.init("languages are: \(languages.joined(separator: ", "))")]))
            return nil
        }
        let kindText = options["kind"]?.value.lowercased() ?? "scalar"
        guard let kind = UserFunctionDeclaration.Kind(rawValue: kindText) else {
            diagnostics.append(.error("SAQL3023", "function kind '\(kindText)' is neither 'scalar' nor 'aggregate'",
                                      at: options["kind"]?.range ?? f.name.range))
            return nil
        }
        let code: String, origin: String
        var codeRange: SourceRange?
        switch (options["code"], options["path"]) {
        case (let c?, nil):
            (code, origin) = (c.value, "the job")
            codeRange = c.range
        case (nil, let p?):
            let path = resolvePath(p.value)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                diagnostics.append(.error("SAQL3024", "cannot read function code '\(path)'", at: p.range,
                                          helps: [.init("paths are relative to the job file")]))
                return nil
            }
            (code, origin) = (text, path)
        case (.some, .some):
            diagnostics.append(.error("SAQL3025", "function '\(f.name.text)' gives both code and path", at: f.name.range,
                                      helps: [.init("keep one: code = '...' for inline code, path = 'file.js' for a file")]))
            return nil
        case (nil, nil):
            diagnostics.append(.error("SAQL3025", "function '\(f.name.text)' has no code", at: f.name.range,
                                      helps: [.init("add code = 'function main(x) { ... }' or path = 'functions/\(f.name.text).js'")]))
            return nil
        }
        func types(_ text: String, _ range: SourceRange) -> [DataType]? {
            var out: [DataType] = []
            for part in text.split(separator: ",") {
                let name = part.trimmingCharacters(in: .whitespaces)
                guard let t = name.caseInsensitiveEquals("any") ? DataType.any : DataType(typeName: name) else {
                    diagnostics.append(.error("SAQL3007", "unknown type '\(name)'", at: range,
                                              helps: [.init("types are any, bigint, float, nvarchar(max), datetime, bit, record and array")]))
                    return nil
                }
                out.append(t)
            }
            return out
        }
        let inputs = options["inputs"].flatMap { types($0.value, $0.range) }
        let output = options["output"].flatMap { types($0.value, $0.range)?.first }
        var declaration = UserFunctionDeclaration(name: f.name.text, kind: kind, language: language, code: code, origin: origin,
                                                  inputs: inputs, output: output, range: f.name.range)
        declaration.codeRange = codeRange
        return declaration
    }
}
