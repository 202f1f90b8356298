import Foundation
import SeqTensor

/// seqtool's built-in text: a play-shaped corpus generated from a small grammar (speakers,
/// verse lines, stage directions), deterministic for a seed. It is what `train-char` trains on
/// without `--corpus` and what `bench charlm` uses when no corpus is given: structured enough
/// that a model learns words, line breaks and speaker turns, and free of third-party text.
public enum SyntheticCorpus {
    static let speakers = [
        "ALDO", "BRIONY", "CASSIAN", "DELPHINE", "EDRIC", "FENNA", "GARRICK", "HESPER", "IMOGEN", "JORAH",
    ]
    static let nouns = [
        "king", "sea", "night", "heart", "crown", "storm", "garden", "letter", "sword", "river", "winter",
        "lantern", "mother", "stranger", "tower", "promise", "shadow", "harvest", "bell", "road",
        "father", "daughter", "ship", "field", "fire", "voice", "morning", "stone", "bird", "gate",
    ]
    static let adjectives = [
        "quiet", "bright", "cold", "golden", "bitter", "gentle", "ancient", "hollow", "silver",
        "restless", "faithful", "wild", "pale", "heavy", "sweet", "broken", "distant", "noble",
    ]
    static let verbs = [
        "keeps", "follows", "remembers", "breaks", "carries", "finds", "waits for", "calls", "hides",
        "answers", "guards", "forgets", "burns", "leaves", "loves", "fears", "watches", "sings to",
    ]
    static let adverbs = [
        "softly", "again", "tonight", "at last", "in silence", "for ever", "too late", "alone", "once more",
    ]
    static let openers = ["O", "Alas,", "Hark!", "Good", "Nay,", "Yet", "Come,", "Now", "Then", "And"]
    static let directions = ["Enter", "Exit", "Exeunt", "Aside", "Alarum within", "Music", "Thunder"]

    /// About `characters` characters of text (ends after the speech that passes the count).
    public static func generate(characters: Int, seed: UInt64 = 1) -> String {
        var g = SeededGenerator(seed: seed)
        func pick(_ words: [String]) -> String { words[g.nextInt(below: words.count)] }
        func phrase() -> String {
            g.nextFloat() < 0.5 ? "the \(pick(adjectives)) \(pick(nouns))" : "my \(pick(nouns))"
        }
        func line() -> String {
            switch g.nextInt(below: 5) {
            case 0: return "\(pick(openers)) \(phrase()) \(pick(verbs)) \(phrase()),"
            case 1: return "and \(phrase()) \(pick(verbs)) \(phrase()) \(pick(adverbs))."
            case 2: return "Who \(pick(verbs)) \(phrase())? Not I, \(pick(speakers).capitalized)."
            case 3: return "\(pick(openers)) let \(phrase()) be \(pick(adjectives)) \(pick(adverbs));"
            default: return "for \(phrase()) is \(pick(adjectives)), and \(phrase()) \(pick(adjectives))."
            }
        }
        var out = ""
        out.reserveCapacity(characters + 400)
        var act = 1
        // All of the text is ASCII, so its UTF-8 size is its character count (String.count is O(n)).
        while out.utf8.count < characters {
            if g.nextInt(below: 12) == 0 {
                out += "ACT \(act). SCENE \(g.nextInt(below: 5) + 1).\n\n"
                act += 1
            }
            if g.nextInt(below: 6) == 0 {
                out += "[\(pick(directions)) \(pick(speakers).capitalized)]\n\n"
            }
            out += pick(speakers) + ":\n"
            for _ in 0..<(1 + g.nextInt(below: 4)) {
                let l = line()
                out += l.prefix(1).uppercased() + l.dropFirst() + "\n"
            }
            out += "\n"
        }
        return out
    }
}
