import Foundation

/// Writes files so that a reader, or a crash, never sees half of one: the bytes go to a
/// temporary file in the target's folder, are flushed to disk, and the temporary file is renamed
/// over the target (rename is atomic within one file system).
public enum AtomicFile {
    /// A file that could not be written, naming it and the reason.
    public struct WriteError: Error, CustomStringConvertible {
        /// The file that could not be written.
        public let path: String
        /// Why, as the system said it.
        public let reason: String
        /// "path: cannot write (reason)".
        public var description: String { "\(path): cannot write (\(reason))" }
    }

    /// Writes `data` to `path` through a temporary file beside it and a rename: readers see the
    /// old file or the new one, never a part.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { emit in try data.withUnsafeBytes { try emit($0) } }
    }

    /// Writes what `produce` hands to the function it is given, piece by piece (a file too large
    /// to assemble in memory first).
    public static func write(
        to path: String, _ produce: (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw WriteError(path: path, reason: "it is a folder")
        }
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WriteError(path: path, reason: "folder \(folder) does not exist")
        }
        removeStaleTemporaries(folder: folder, name: url.lastPathComponent)
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        var failure: String?
        do {
            try produce { raw in
                var done = 0
                while done < raw.count {
                    let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw WriteError(path: path, reason: String(cString: strerror(errno)))
                    }
                    done += n
                }
            }
        } catch let error as WriteError {
            failure = error.reason
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw WriteError(path: path, reason: failure)
        }
    }

    /// Deletes temporaries of `name` left by writers that were killed (their process is gone).
    static func removeStaleTemporaries(folder: String, name: String) {
        let prefix = "." + name + ".tmp-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count).prefix { $0 != "-" }) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(folder + "/" + entry) }
        }
    }

    /// Writes UTF-8 text atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
