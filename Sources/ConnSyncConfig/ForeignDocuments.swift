import ConnSyncModel

/// Documents that are not connsync's (a Kubernetes manifest, a CI file that slipped in): the
/// format says every document has connsync's envelope, so they stay errors, but one per file,
/// saying how to keep the file out, instead of an error for each of their keys.
enum ForeignDocuments {
    /// The documents that are connsync's (or may be, with errors); the others are reported,
    /// one diagnostic per file.
    static func setAside(_ documents: [YDocument], sink: DiagnosticSink) -> [YDocument] {
        var kept: [YDocument] = []
        var foreign: [(file: String, first: YDocument, count: Int)] = []
        for document in documents {
            guard let apiVersion = apiVersion(of: document), !apiVersion.hasPrefix("connsync/") else {
                kept.append(document)
                continue
            }
            if let index = foreign.firstIndex(where: { $0.file == document.file.path }) {
                foreign[index].count += 1
            } else {
                foreign.append((document.file.path, document, 1))
            }
        }
        for (_, first, count) in foreign {
            let kind = first.root.entries?.first { $0.key == "kind" }?.value.stringScalar.map { ", kind \($0)" } ?? ""
            let more = count > 1 ? " (this file holds \(count) such documents)" : ""
            sink.add(
                Diagnostic(
                    code: "not-connsync",
                    message: "not a connsync document (apiVersion \(apiVersion(of: first) ?? "?")\(kind))\(more): every document needs apiVersion: connsync/v1; "
                        + "keep files that are not desired state out with a .connsyncignore at the source root listing them (e.g. `deploy/` or `*.k8s.yaml`)",
                    location: first.root.location, document: nil, field: nil))
        }
        return kept
    }

    static func apiVersion(of document: YDocument) -> String? {
        document.root.entries?.first { $0.key == "apiVersion" }?.value.stringScalar
    }
}
