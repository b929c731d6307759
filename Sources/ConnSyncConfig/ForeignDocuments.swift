import ConnSyncModel

/// Documents that are not connsync's (a Kubernetes manifest, a CI file that slipped in): the
/// format says every document has connsync's envelope, so they stay errors, but one per file,
/// saying how to keep the file out, instead of an error for each of their keys.
enum ForeignDocuments {
    /// A document of another format, as the report needs it.
    struct Found: Sendable {
        var file: String
        var location: SourceLocation
        var apiVersion: String
        var kind: String?
    }

    /// The document as a foreign one, or nil when it is connsync's (or may be, with errors).
    static func found(_ document: YDocument) -> Found? {
        guard let apiVersion = apiVersion(of: document), !apiVersion.hasPrefix("connsync/") else { return nil }
        let kind = document.root.entries?.first { $0.key == "kind" }?.value.stringScalar
        return Found(file: document.file.path, location: document.root.position.location(in: document.file.displayPath), apiVersion: apiVersion, kind: kind)
    }

    /// One diagnostic per file, at its first foreign document.
    static func report(_ found: [Found], sink: DiagnosticSink) {
        var perFile: [(first: Found, count: Int)] = []
        var index: [String: Int] = [:]
        for document in found {
            if let at = index[document.file] {
                perFile[at].count += 1
            } else {
                index[document.file] = perFile.count
                perFile.append((document, 1))
            }
        }
        for (first, count) in perFile {
            let kind = first.kind.map { ", kind \($0)" } ?? ""
            let more = count > 1 ? " (this file holds \(count) such documents)" : ""
            sink.add(
                Diagnostic(
                    code: "not-connsync",
                    message: "not a connsync document (apiVersion \(first.apiVersion)\(kind))\(more): every document needs apiVersion: connsync/v1; "
                        + "keep files that are not desired state out with a .connsyncignore at the source root listing them (e.g. `deploy/` or `*.k8s.yaml`)",
                    location: first.location, document: nil, field: nil))
        }
    }

    static func apiVersion(of document: YDocument) -> String? {
        document.root.entries?.first { $0.key == "apiVersion" }?.value.stringScalar
    }
}
