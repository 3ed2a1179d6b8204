import CCurl

/// One HTTP(S) endpoint that rows are POSTed to, through libcurl: a kept-alive connection, used
/// from the pipeline's thread only. libcurl rather than a hand-written client: it is Debian's
/// maintained HTTP/1.1 and TLS stack, blocks like the other sinks, and adds nothing to build time.
final class HTTPClient {
    /// The status and the first kilobyte of the answer's body (for error messages).
    struct Response {
        var status: Int
        var body: String
    }

    /// The request was not answered: no connection, a TLS failure, or the timeout passed.
    struct TransportError: Error {
        var message: String
        /// True when waiting will not help: a certificate that does not verify, a bad address.
        var permanent: Bool
    }

    private let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    fileprivate var answer: [UInt8] = []
    /// What the errors call the endpoint: its address without the query string, which often holds
    /// a key (Azure Functions' `?code=`).
    let name: String

    private static let initialized: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    /// `headers` go with every request, after `Content-Type: application/json`.
    init(url: String, headers: [(name: String, value: String)], timeoutSeconds: Int, caFile: String?) throws {
        name = HTTPClient.redacted(url)
        guard Self.initialized == CURLE_OK, let h = curl_easy_init() else {
            throw ConnectorError("http output \(name): cannot start libcurl")
        }
        handle = h
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        // "Expect:" turns off libcurl's 100-continue wait on bodies over 1 KB, which costs a round trip
        // (or a second, with servers that never answer it).
        for line in ["Content-Type: application/json", "Expect:"] + headers.map({ "\($0.name): \($0.value)" }) {
            headerList = curl_slist_append(headerList, line)
        }
        var rc = saql_curl_set_string(h, CURLOPT_URL, url)
        for (option, value) in [(CURLOPT_POST, 1), (CURLOPT_NOSIGNAL, 1), (CURLOPT_TIMEOUT, timeoutSeconds),
                                (CURLOPT_CONNECTTIMEOUT, min(timeoutSeconds, 10)), (CURLOPT_TCP_KEEPALIVE, 1)] where rc == CURLE_OK {
            rc = saql_curl_set_long(h, option, value)
        }
        if rc == CURLE_OK { rc = saql_curl_set_pointer(h, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList)) }
        if rc == CURLE_OK { rc = saql_curl_set_pointer(h, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)) }
        if rc == CURLE_OK { rc = saql_curl_set_string(h, CURLOPT_USERAGENT, "saql") }
        if rc == CURLE_OK, let caFile { rc = saql_curl_set_string(h, CURLOPT_CAINFO, caFile) }
        if rc == CURLE_OK { rc = saql_curl_set_pointer(h, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque()) }
        if rc == CURLE_OK {
            rc = saql_curl_set_write_function(h) { data, size, count, user in
                guard let data, let user else { return 0 }
                let client = Unmanaged<HTTPClient>.fromOpaque(user).takeUnretainedValue()
                let n = size * count
                let keep = min(n, max(0, 1024 - client.answer.count))
                if keep > 0 { client.answer += UnsafeRawBufferPointer(start: data, count: keep) }
                return n
            }
        }
        guard rc == CURLE_OK else { throw ConnectorError("http output \(name): \(String(cString: curl_easy_strerror(rc)))") }
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// POSTs `body`; any status is a response, for the caller to judge.
    func post(_ body: [UInt8]) throws(TransportError) -> Response {
        answer.removeAll(keepingCapacity: true)
        errorBuffer[0] = 0
        let rc = body.withUnsafeBytes { bytes -> CURLcode in
            var rc = saql_curl_set_long(handle, CURLOPT_POSTFIELDSIZE, bytes.count)
            if rc == CURLE_OK { rc = saql_curl_set_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress)) }
            if rc == CURLE_OK { rc = curl_easy_perform(handle) }
            return rc
        }
        guard rc == CURLE_OK else {
            let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(rc))
            let permanent = [CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
                             CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT].contains(rc)
            let hint = rc == CURLE_PEER_FAILED_VERIFICATION
                ? " (the server's certificate did not verify: set tls.ca_file to the certificate of the CA that signed it)" : ""
            throw TransportError(message: "\(name): \(detail)\(hint)", permanent: permanent)
        }
        var status = 0
        _ = saql_curl_response_code(handle, &status)
        return Response(status: status, body: String(decoding: answer, as: UTF8.self))
    }

    /// `url` without its user information and query string.
    static func redacted(_ url: String) -> String {
        var text = Substring(url)
        if let q = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<q] }
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@"),
           !text[scheme.upperBound..<at].contains("/") {
            text = text[..<scheme.upperBound] + text[text.index(after: at)...]
        }
        return String(text)
    }
}
