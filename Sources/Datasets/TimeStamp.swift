import Foundation
import SeqTensor

/// How often a series is observed: a calendar unit and a count of it (`10_minutes` is 10 minutes).
/// The Monash forecasting archive's names (`yearly`, `quarterly`, `monthly`, `weekly`, `daily`,
/// `hourly`, `half_hourly`, `10_minutes`, `minutely`, `4_seconds`) are read and written.
public struct Frequency: Sendable, Hashable, CustomStringConvertible {
    /// A unit of calendar time.
    public enum Unit: String, Sendable, CaseIterable {
        case second, minute, hour, day, week, month, quarter, year

        /// Its length in seconds (units below a month), or in months (month, quarter, year).
        var size: Int {
            switch self {
            case .second: 1
            case .minute: 60
            case .hour: 3600
            case .day: 86_400
            case .week: 604_800
            case .month: 1
            case .quarter: 3
            case .year: 12
            }
        }

        /// Whether steps of this unit move the calendar by months (and keep the day of the month).
        var isMonthly: Bool { self == .month || self == .quarter || self == .year }
    }

    /// The unit and how many of it make one step.
    public let unit: Unit, count: Int

    /// `count` `unit`s per step.
    public init(_ unit: Unit, count: Int = 1) {
        precondition(count > 0, "Frequency: count \(count) must be positive")
        (self.unit, self.count) = (unit, count)
    }

    /// The archive's name (`yearly`, `half_hourly`, `10_minutes`, ...), or "every N units"; nil for
    /// a name it does not know.
    public init?(name: String) {
        let key = name.lowercased().trimmingCharacters(in: .whitespaces)
        let named: [String: (Unit, Int)] = [
            "yearly": (.year, 1), "annual": (.year, 1), "quarterly": (.quarter, 1), "monthly": (.month, 1),
            "weekly": (.week, 1), "daily": (.day, 1), "hourly": (.hour, 1), "half_hourly": (.minute, 30),
            "minutely": (.minute, 1), "secondly": (.second, 1),
        ]
        if let (unit, count) = named[key] {
            self.init(unit, count: count)
            return
        }
        // "10_minutes", "4_seconds".
        let parts = key.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, let count = Int(parts[0]), count > 0, count <= 1_000_000,
            let unit = Unit.allCases.first(where: { parts[1] == $0.rawValue + "s" || parts[1] == $0.rawValue })
        else { return nil }
        self.init(unit, count: count)
    }

    /// The archive's name of the frequency.
    public var name: String {
        switch (unit, count) {
        case (.year, 1): "yearly"
        case (.quarter, 1): "quarterly"
        case (.month, 1): "monthly"
        case (.week, 1): "weekly"
        case (.day, 1): "daily"
        case (.hour, 1): "hourly"
        case (.minute, 30): "half_hourly"
        case (.minute, 1): "minutely"
        case (.second, 1): "secondly"
        default: "\(count)_\(unit.rawValue)s"
        }
    }

    public var description: String { name }

    /// Steps in the natural season of the frequency (the Monash archive's seasonality: 4 a year
    /// for quarterly data, 12 for monthly, 52 weeks, 7 days, 24 hours, a day of shorter steps),
    /// nil where there is none (yearly) or it is not a whole number of steps.
    public var seasonalPeriod: Int? {
        let period: Int
        switch unit {
        case .year: return nil
        case .quarter: period = 4
        case .month: period = 12
        case .week: period = 52
        case .day: period = 7
        case .hour, .minute, .second: period = 86_400 / unit.size
        }
        guard period % count == 0, period / count > 1 else { return nil }
        return period / count
    }
}

/// A point in time as a file writes it: a calendar time (a year, a month, a date or a date and
/// time) or a plain step number, with the way it was written, so that later time stamps are
/// written the same way (`1960-12` is followed by `1961-01`).
public struct TimeStamp: Sendable, Equatable, CustomStringConvertible {
    /// How a time stamp is written.
    public enum Style: Sendable, Equatable {
        /// A whole number (a step, or a year written as a number).
        case number
        /// `yyyy-MM` (or with `/`).
        case yearMonth(separator: Character)
        /// `yyyy-MM-dd`.
        case date(separator: Character)
        /// `yyyy-MM-dd HH:mm:ss` and its variants: `between` the date and the time (" " or "T"),
        /// the time's `separator` (":", or "-" as the Monash archive writes it), and whether the
        /// seconds are written.
        case dateTime(separator: Character, between: Character, timeSeparator: Character, seconds: Bool, zone: String)
        /// `yyyy Mon` (`1991 Jul`: the month's English abbreviation), with `separator` between.
        case yearMonthName(separator: String)
        /// `yyyy Qn` (`1970 Q1`, `1970Q1`, `1970-Q1`), with `separator` between.
        case yearQuarter(separator: String)
    }

    /// The months' English abbreviations.
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The step number (`.number`), or the seconds since 1970-01-01 00:00:00 (calendar styles).
    public let value: Int
    /// How it is written.
    public let style: Style

    /// A time stamp of `value` in `style`.
    public init(value: Int, style: Style) { (self.value, self.style) = (value, style) }

    /// Whether it is a calendar time (not a step number).
    public var isCalendar: Bool { style != .number }

    /// Parses `text`: a whole number, `yyyy-MM`, `yyyy-MM-dd`, `yyyy-MM-dd HH:mm[:ss]` (also with
    /// `T` between date and time, `/` in the date, `-` in the time, a zone `Z` or `+hh:mm` after
    /// it, kept as written), `yyyy Mon` or `yyyy Qn`; nil for anything else.
    public init?(_ text: String) {
        var s = text.trimmingCharacters(in: .whitespaces)
        if let n = Int(s), abs(n) < 1 << 53 {
            self.init(value: n, style: .number)
            return
        }
        if let named = Self.named(s) {
            self = named
            return
        }
        // A zone after the time: "Z", "+00:00", "-0530".
        var zone = ""
        if s.count > 10, s.hasSuffix("Z") {
            zone = "Z"
        } else if s.contains(":"), let sign = s.lastIndex(where: { $0 == "+" || $0 == "-" }),
            s.distance(from: s.startIndex, to: sign) >= 13
        {
            let offset = s[s.index(after: sign)...], digits = offset.filter(\.isNumber).count
            let colon = offset.count == 5 && offset.dropFirst(2).first == ":"
            if digits == offset.count && (digits == 2 || digits == 4) || colon && digits == 4 {
                zone = String(s[sign...])
            }
        }
        s = String(s.dropLast(zone.count))
        let between: Character? = s.contains("T") ? "T" : (s.contains(" ") ? " " : nil)
        let halves = between.map { s.split(separator: $0, maxSplits: 1).map(String.init) } ?? [s]
        guard let datePart = halves.first, halves.count <= 2 else { return nil }
        let dateSeparator: Character = datePart.contains("/") ? "/" : "-"
        let date = datePart.split(separator: dateSeparator, omittingEmptySubsequences: false).map { Int($0) }
        guard date.count == 2 || date.count == 3, date.allSatisfy({ $0 != nil }),
            datePart.split(separator: dateSeparator).first?.count == 4
        else { return nil }
        let year = date[0]!, month = date[1]!, day = date.count == 3 ? date[2]! : 1
        guard month >= 1 && month <= 12, day >= 1, day <= Self.daysIn(month: month, year: year) else { return nil }
        var seconds = Self.days(year: year, month: month, day: day) * 86_400
        guard halves.count == 2 else {
            self.init(
                value: seconds,
                style: date.count == 2 ? .yearMonth(separator: dateSeparator) : .date(separator: dateSeparator))
            return
        }
        guard date.count == 3 else { return nil }
        let timePart = halves[1]
        let timeSeparator: Character = timePart.contains(":") ? ":" : "-"
        let time = timePart.split(separator: timeSeparator, omittingEmptySubsequences: false).map { Int($0) }
        guard time.count == 2 || time.count == 3, time.allSatisfy({ $0 != nil }),
            time[0]! >= 0 && time[0]! < 24, time[1]! >= 0 && time[1]! < 60, time.count == 2 || time[2]! < 60,
            time.count == 2 || time[2]! >= 0
        else { return nil }
        seconds += time[0]! * 3600 + time[1]! * 60 + (time.count == 3 ? time[2]! : 0)
        self.init(
            value: seconds,
            style: .dateTime(
                separator: dateSeparator, between: between!, timeSeparator: timeSeparator, seconds: time.count == 3,
                zone: zone))
    }

    /// `yyyy Mon` or `yyyy Qn` (the separator a space, a dash or nothing).
    static func named(_ s: String) -> TimeStamp? {
        guard s.count >= 6, s.count <= 9, let year = Int(s.prefix(4)), s.prefix(4).allSatisfy(\.isNumber) else {
            return nil
        }
        let rest = s.dropFirst(4)
        let separator = String(rest.prefix { $0 == " " || $0 == "-" })
        let name = rest.dropFirst(separator.count)
        if let month = monthNames.firstIndex(where: { $0.lowercased() == name.lowercased() }) {
            return TimeStamp(
                value: days(year: year, month: month + 1, day: 1) * 86_400, style: .yearMonthName(separator: separator))
        }
        if name.count == 2, name.first == "Q" || name.first == "q", let q = Int(name.dropFirst()), q >= 1, q <= 4 {
            return TimeStamp(
                value: days(year: year, month: 3 * q - 2, day: 1) * 86_400, style: .yearQuarter(separator: separator))
        }
        return nil
    }

    /// The time stamp as its style writes it.
    public var description: String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        func four(_ n: Int) -> String {
            n >= 0 && n < 1000 ? String(repeating: "0", count: 4 - String(n).count) + String(n) : String(n)
        }
        let dayNumber = floorDivide(value, 86_400), second = value - dayNumber * 86_400
        let (year, month, day) = Self.civil(days: dayNumber)
        switch style {
        case .number: return String(value)
        case .yearMonth(let separator): return "\(four(year))\(separator)\(two(month))"
        case .date(let separator): return "\(four(year))\(separator)\(two(month))\(separator)\(two(day))"
        case .dateTime(let separator, let between, let timeSeparator, let seconds, let zone):
            let time =
                two(second / 3600) + "\(timeSeparator)" + two(second / 60 % 60)
                + (seconds ? "\(timeSeparator)" + two(second % 60) : "")
            return "\(four(year))\(separator)\(two(month))\(separator)\(two(day))\(between)\(time)\(zone)"
        case .yearMonthName(let separator): return "\(four(year))\(separator)\(Self.monthNames[month - 1])"
        case .yearQuarter(let separator): return "\(four(year))\(separator)Q\((month - 1) / 3 + 1)"
        }
    }

    /// The time stamp `steps` steps of `frequency` later (earlier when negative): months are
    /// added on the calendar (the day of the month kept, or the month's last day where it is
    /// shorter or the day was its month's last), shorter units as seconds. A step number moves by `steps * numberStep`.
    public func advanced(by steps: Int, frequency: Frequency?, numberStep: Int = 1) -> TimeStamp {
        // Step numbers are a file's own; their arithmetic wraps rather than trapping on absurd ones.
        guard isCalendar, let frequency else { return TimeStamp(value: value &+ steps &* numberStep, style: style) }
        if !frequency.unit.isMonthly {
            return TimeStamp(value: value + steps * frequency.count * frequency.unit.size, style: style)
        }
        return advanced(months: steps * frequency.count * frequency.unit.size, keepingMonthEnds: true)
    }

    /// The time stamp `months` calendar months later: the day of the month kept (the month's last
    /// day where the new month is shorter), or, `keepingMonthEnds`, a month's last day moved to the
    /// new month's last day (month-end dates stay month ends).
    func advanced(months: Int, keepingMonthEnds: Bool) -> TimeStamp {
        let dayNumber = floorDivide(value, 86_400), second = value - dayNumber * 86_400
        let (year, month, day) = Self.civil(days: dayNumber)
        let total = year * 12 + (month - 1) + months
        let (newYear, newMonth) = (floorDivide(total, 12), total - floorDivide(total, 12) * 12 + 1)
        let isMonthEnd = day == Self.daysIn(month: month, year: year)
        let newDay =
            isMonthEnd && keepingMonthEnds
            ? Self.daysIn(month: newMonth, year: newYear) : min(day, Self.daysIn(month: newMonth, year: newYear))
        return TimeStamp(value: Self.days(year: newYear, month: newMonth, day: newDay) * 86_400 + second, style: style)
    }

    /// Steps of `frequency` from `self` to `later` when `later` lies a whole number of them on,
    /// else nil. Step numbers count `numberStep`s.
    public func steps(to later: TimeStamp, frequency: Frequency?, numberStep: Int = 1) -> Int? {
        guard isCalendar, let frequency else {
            let d = later.value &- value
            return numberStep > 0 && d % numberStep == 0 ? d / numberStep : nil
        }
        if !frequency.unit.isMonthly {
            let size = frequency.count * frequency.unit.size, d = later.value - value
            return d % size == 0 ? d / size : nil
        }
        let (y0, m0, _) = Self.civil(days: floorDivide(value, 86_400))
        let (y1, m1, _) = Self.civil(days: floorDivide(later.value, 86_400))
        let months = (y1 - y0) * 12 + (m1 - m0), size = frequency.count * frequency.unit.size
        guard months % size == 0 else { return nil }
        // Month ends stay month ends (01-31, 02-28, 03-31), and a fixed day stays fixed (06-30, 07-30;
        // 02-28, 03-28): either is one step.
        let n = months / size
        return advanced(months: months, keepingMonthEnds: true) == later
            || advanced(months: months, keepingMonthEnds: false) == later ? n : nil
    }

    /// The position of this time in the season of `period` steps of `frequency` (month of the
    /// year for monthly data, day of the week for daily data, ...), in 0..<period; nil where the
    /// calendar does not say (step numbers, or a period that is not the frequency's own).
    public func phase(period: Int, frequency: Frequency?) -> Int? {
        guard isCalendar, let frequency, frequency.seasonalPeriod == period else { return nil }
        let dayNumber = floorDivide(value, 86_400)
        let (year, month, _) = Self.civil(days: dayNumber)
        let index: Int
        switch frequency.unit {
        case .month, .quarter: index = (year * 12 + month - 1) / (frequency.count * frequency.unit.size)
        case .week: index = floorDivide(dayNumber, 7)
        case .day: index = dayNumber + 3  // 1970-01-01 was a Thursday: 0 is Monday.
        case .hour, .minute, .second: index = value / (frequency.count * frequency.unit.size)
        case .year: return nil
        }
        return ((index % period) + period) % period
    }

    /// Whether `year` is a leap year of the Gregorian calendar.
    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    /// Days in `month` (1...12) of `year`.
    static func daysIn(month: Int, year: Int) -> Int {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    /// Days from 1970-01-01 to the date (proleptic Gregorian; Howard Hinnant's `days_from_civil`).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` days after 1970-01-01 (`civil_from_days`).
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// `a / b` rounded towards minus infinity (`b` > 0).
func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
