//! The cue phrases of [`super`], per intent, in en, de, es, fr, it, pt, ru and vi. Written as
//! people write them; folded with the matcher's normalisation ([`token_stream`]) once, and
//! matched as whole words, or as word prefixes where they end in `*`.

use std::sync::LazyLock;

use crate::rules::normalize::token_stream;

/// Words that open a question (the first word after any leading @handles).
pub(super) const QUESTION_OPENERS: &[&str] = &[
    // en
    "how",
    "what",
    "when",
    "where",
    "why",
    "which",
    "who",
    "can",
    "could",
    "is",
    "are",
    "does",
    "do",
    "will",
    "should",
    "anyone",
    "any", // de
    "wie",
    "was",
    "wann",
    "wo",
    "warum",
    "wieso",
    "weshalb",
    "welche",
    "welcher",
    "kann",
    "koennt",
    "gibt",
    "habt",
    "weiss", // es
    "como",
    "cuando",
    "donde",
    "cual",
    "cuanto",
    "cuanta",
    "puedo",
    "teneis",
    "alguien",
    // fr
    "comment",
    "quand",
    "pourquoi",
    "combien",
    "quel",
    "quelle",
    "quelqu", // it
    "perche",
    "quando",
    "dove",
    "quanto",
    "posso",
    "qualcuno", // pt
    "onde",
    "qual",
    "quanto",
    "quantos",
    "alguem", // ru
    "как",
    "когда",
    "где",
    "почему",
    "зачем",
    "какои",
    "какая",
    "сколько",
    "можно",
    "кто",
];

/// Phrases that make a question wherever they are.
pub(super) const QUESTION_PHRASES: &[&str] = &[
    // en
    "how do i",
    "how can i",
    "how long",
    "anyone know",
    "does anyone",
    "any idea",
    "can i",
    "is there",
    "do you",
    "what do i",
    "who do i",
    "who can", // de
    "was kann ich",
    "kann ich",
    "gibt es",
    "weiss jemand",
    "kann man",
    "an wen",
    "wer erstattet",
    // es
    "como lo",
    "que hago",
    "alguien sabe",
    "puedo",
    "hay una",
    "con quien",
    "quien me",
    // fr
    "est ce que",
    "je fais comment",
    "comment je",
    "quelqu un sait",
    "je peux",
    "a qui",
    "qui me", // it
    "come faccio",
    "qualcuno sa",
    "posso", // pt
    "como resolvo",
    "o que eu faco",
    "alguem sabe",
    "da pra",
    "com quem",
    "quem devolve",
    "consigo", // ru
    "как это",
    "что мне делать",
    "кто знает",
    "можно ли",
    "есть ли",
    "к кому",
    "кто мне",
    // vi
    "the nao",
    "bao lau",
    "khi nao",
    "tai sao",
    "lam sao",
    "o dau",
    "duoc khong",
    "co duoc",
    "phai lam",
    "lien he ai",
    "ai hoan",
    "khong a",
    "sao vay",
    "co ai biet",
];

/// Phrases that make a question rhetorical: not a question anyone is expected to answer.
pub(super) const RHETORICAL: &[&str] = &[
    "is it just me",
    "am i the only",
    "bin ich der einzige",
    "soy yo o",
    "c est moi ou",
    "sono l unico",
    "e impressao minha",
    "мне кажется или",
    "co phai minh toi",
];

/// Complaint cues: problems, failures, money lost, anger.
pub(super) const COMPLAINT: &[&str] = &[
    // en
    "not working",
    "doesn t work",
    "barely works",
    "is down",
    "down for",
    "down again",
    "been down",
    "down since",
    "down all",
    "outage",
    "crash*",
    "keeps",
    "lost",
    "missing",
    "not here",
    "never arrived",
    "twice",
    "refund*",
    "cancel*",
    "delay*",
    "late",
    "broke*",
    "stopped",
    "drain*",
    "logs me out",
    "blocked",
    "froze*",
    "frozen",
    "unacceptable",
    "annoying",
    "worst",
    "terrible",
    "scam",
    "nobody answers",
    "no one answers",
    "higher than",
    "increase",
    "missed",
    "charged",
    "left my",
    "cut my",
    "zero help",
    "not ok",
    "not one update",
    "for nothing", // de
    "funktioniert nicht",
    "geht nicht",
    "stoerung",
    "ausfall",
    "weg",
    "abgestuerzt",
    "stuerzt*",
    "verloren",
    "doppelt",
    "erstattung",
    "storniert",
    "gestrichen",
    "verspaetung",
    "kaputt",
    "gesperrt",
    "eingefroren",
    "unmoeglich",
    "nervt",
    "abgebucht",
    "hoeher",
    "preiserhoehung",
    "verpasst*",
    "stunden leer",
    "kappt",
    "abgestellt",
    "meldet mich",
    "startet",
    "laden nicht",
    "geht gar nicht",
    "null hilfe",
    "fuer nichts",
    "kaum",
    "berechnet", // es
    "no funciona*",
    "caida",
    "caido",
    "averia",
    "se cuelga",
    "cuelga",
    "perdio",
    "perdido",
    "dos veces",
    "reembolso",
    "cancelo",
    "cancelado",
    "retraso",
    "roto",
    "bloqueo",
    "bloqueado",
    "congelo",
    "inaceptable",
    "pesadez",
    "cobrado",
    "cobro",
    "subida",
    "fallida",
    "corta",
    "no ha llegado",
    "sin internet",
    "se reinicia",
    "dejaron de",
    "cero ayuda",
    "por nada",
    "no puede ser",
    "nadie coge", // fr
    "ne marche*",
    "ne fonctionne*",
    "panne",
    "plante",
    "perdu",
    "deux fois",
    "rembours*",
    "annule",
    "retard",
    "casse",
    "bloque",
    "gele",
    "inadmissible",
    "inacceptable",
    "penible",
    "preleve",
    "hausse",
    "ratee",
    "coupe",
    "rien recu",
    "plus d internet",
    "redemarre",
    "ne chargent",
    "aucune aide",
    "aucune info",
    "pour rien",
    "personne ne repond",
    "deconnecte",
    // it
    "non funziona",
    "rotto",
    "bloccato",
    "rimborso",
    "ritardo",
    "perso", // pt
    "nao funciona",
    "fora do ar",
    "caiu",
    "falha",
    "trava",
    "perdeu",
    "duas vezes",
    "cancelou",
    "atraso",
    "quebrado",
    "bloqueou",
    "congelou",
    "absurdo",
    "inaceitavel",
    "saco",
    "cobraram",
    "cobrou",
    "aumento",
    "perdida",
    "derrubou",
    "nao chegou",
    "sem internet",
    "reinicia",
    "pararam",
    "zero ajuda",
    "por nada",
    "ninguem atende",
    "desloga", // ru
    "не работает",
    "авария",
    "вылетает",
    "потеряли",
    "дважды",
    "возврат*",
    "отменили",
    "задержк*",
    "сломал*",
    "заблокировал",
    "заморозил",
    "безобразие",
    "недопустимо",
    "бесит",
    "списали",
    "повышение",
    "сорванн*",
    "оборвал",
    "нет интернета",
    "интернета нет",
    "перезагружается",
    "садится",
    "перестали",
    "выкидывает",
    "оставила",
    "ноль помощи",
    "за воздух",
    "не отвечает",
    "взяли деньги",
    "почти не работает", // vi
    "khong hoat dong",
    "mat mang",
    "rot mang",
    "su co",
    "treo",
    "sap",
    "lam mat",
    "hai lan",
    "hoan tien",
    "huy",
    "tre",
    "hong",
    "khoa",
    "dong bang",
    "khong chap nhan",
    "qua te",
    "buc minh",
    "tru phi",
    "tang gia",
    "giao hut",
    "chua nhan",
    "tu khoi dong",
    "khong sac",
    "dang xuat",
    "ngoai mua",
    "thu tien",
    "khong ai",
    "cho khong",
    "khong dung duoc",
];

/// Praise cues.
pub(super) const PRAISE: &[&str] = &[
    // en
    "love*",
    "great",
    "amazing",
    "best",
    "thank*",
    "shoutout",
    "legend",
    "impressed",
    "respect",
    "nice",
    "unreal",
    "lovely",
    "well done",
    "worth it", // de
    "danke",
    "top",
    "stark",
    "beste",
    "toll",
    "respekt",
    "held",
    "nett",
    "hammer", // es
    "gracias",
    "me encanta",
    "genial",
    "encantadora",
    "un crack",
    "respeto",
    "bravo", // fr
    "merci",
    "j adore",
    "au top",
    "adorable",
    "chapeau",
    "nickel",
    "meilleur", // it
    "grazie",
    "adoro",
    "fantastico", // pt
    "valeu",
    "amando",
    "obrigado",
    "show",
    "um amor",
    "respeito",
    "parabens",
    "gente boa", // ru
    "спасибо",
    "обожаю",
    "огонь",
    "круто",
    "отлично",
    "лучш*",
    "браво",
    "уважение",
    "красавчик",
    // vi
    "cam on",
    "dinh",
    "tuyet",
    "qua tot",
    "de thuong",
    "gioi qua",
    "ne that",
    "me qua",
];

/// Word prefixes of first and second person: a post by someone to someone, not a headline.
pub(super) const PERSONAL: &[&str] = &[
    "i", "i m", "me", "my", "we", "our", "you", "your", "ich", "mein*", "mir", "mich", "wir",
    "euer", "eure*", "yo", "mi", "mis", "me", "vuestr*", "tu", "te", "je", "j", "moi", "mon", "ma",
    "mes", "nous", "vous", "votre", "io", "mio", "mia", "eu", "meu*", "minha*", "voce*", "я",
    "мне", "меня", "мои*", "мы", "вы", "ваш*", "ты", "toi", "minh", "ban",
];

/// A folded cue: its token-stream pattern (`" tok tok "`, or `" tok"` for a prefix).
struct Cue {
    pattern: String,
}

fn fold(list: &[&str]) -> Vec<Cue> {
    let mut out = String::new();
    list.iter()
        .filter_map(|c| {
            let (text, prefix) = match c.strip_suffix('*') {
                Some(t) => (t, true),
                None => (*c, false),
            };
            token_stream(text, &mut out);
            // `" tok tok "`; a prefix drops the closing space.
            let pattern = if prefix {
                out.trim_end().to_string()
            } else {
                out.clone()
            };
            (!pattern.trim().is_empty()).then_some(Cue { pattern })
        })
        .collect()
}

fn fold_words(list: &[&str]) -> Vec<String> {
    let mut out = String::new();
    list.iter()
        .map(|c| {
            token_stream(c, &mut out);
            out.trim().to_string()
        })
        .collect()
}

/// The folded cue lists, and one automaton over all of them.
pub(super) struct Cues {
    pub(super) openers: Vec<String>,
    /// Every pattern of the five lists, in the order of [`Kind`]; `kinds[id]` is its list.
    automaton: aho_corasick::AhoCorasick,
    kinds: Vec<Kind>,
}

/// Which list a cue is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Question,
    Rhetorical,
    Complaint,
    Praise,
    Personal,
}

/// How many cues of each list occur in a token stream (each cue once, however often).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counts {
    pub(super) question: usize,
    pub(super) rhetorical: usize,
    pub(super) complaint: usize,
    pub(super) praise: usize,
    pub(super) personal: usize,
}

impl Cues {
    fn new() -> Self {
        let question = fold(QUESTION_PHRASES);
        let rhetorical = fold(RHETORICAL);
        let complaint = fold(COMPLAINT);
        let praise = fold(PRAISE);
        let personal = fold(PERSONAL);
        let lists = [
            (Kind::Question, &question),
            (Kind::Rhetorical, &rhetorical),
            (Kind::Complaint, &complaint),
            (Kind::Praise, &praise),
            (Kind::Personal, &personal),
        ];
        let kinds: Vec<Kind> = lists
            .iter()
            .flat_map(|(k, l)| std::iter::repeat_n(*k, l.len()))
            .collect();
        let patterns = lists
            .iter()
            .flat_map(|(_, l)| l.iter().map(|c| c.pattern.as_str()));
        // The patterns are a fixed list in this file; a failure is a programming error caught
        // by every test that classifies a post.
        let automaton = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(patterns)
            .expect("the intent cues compile");
        Self {
            openers: fold_words(QUESTION_OPENERS),
            automaton,
            kinds,
        }
    }

    /// How many cues of each list occur in the token stream `stream`, in one pass.
    pub(super) fn counts(&self, stream: &str, seen: &mut Vec<bool>) -> Counts {
        seen.clear();
        seen.resize(self.kinds.len(), false);
        let mut out = Counts::default();
        for m in self.automaton.find_overlapping_iter(stream) {
            let id = m.pattern().as_usize();
            if std::mem::replace(&mut seen[id], true) {
                continue;
            }
            match self.kinds[id] {
                Kind::Question => out.question += 1,
                Kind::Rhetorical => out.rhetorical += 1,
                Kind::Complaint => out.complaint += 1,
                Kind::Praise => out.praise += 1,
                Kind::Personal => out.personal += 1,
            }
        }
        out
    }
}

/// Built once.
pub(super) static CUES: LazyLock<Cues> = LazyLock::new(Cues::new);

/// How many cues of `cues` occur in the token stream `stream` (one list; [`Cues::counts`]
/// does all five in one pass).
#[cfg(test)]
fn count(stream: &str, cues: &[Cue]) -> usize {
    cues.iter().filter(|c| stream.contains(&c.pattern)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass automaton counts exactly what a search per cue counts, on every post of
    /// the evaluation set and on texts built from the cues themselves.
    #[test]
    fn the_automaton_counts_what_a_search_per_cue_counts() {
        let c = &*CUES;
        let posts = include_str!("../../tests/data/intent/posts.tsv");
        let mut texts: Vec<String> = posts
            .lines()
            .filter_map(|l| l.splitn(6, '\t').nth(5).map(String::from))
            .collect();
        texts.push(COMPLAINT.join(" and "));
        texts.push(format!("{} {}", PRAISE.join(", "), PERSONAL.join(" ")));
        texts.push(format!(
            "{} {}",
            QUESTION_PHRASES.join("? "),
            RHETORICAL.join(" ")
        ));
        let (mut stream, mut seen) = (String::new(), Vec::new());
        let mut nonzero = 0;
        for t in &texts {
            token_stream(t, &mut stream);
            let got = c.counts(&stream, &mut seen);
            let want = Counts {
                question: count(&stream, &fold(QUESTION_PHRASES)),
                rhetorical: count(&stream, &fold(RHETORICAL)),
                complaint: count(&stream, &fold(COMPLAINT)),
                praise: count(&stream, &fold(PRAISE)),
                personal: count(&stream, &fold(PERSONAL)),
            };
            assert_eq!(got, want, "{t}");
            nonzero += usize::from(got != Counts::default());
        }
        assert!(nonzero > texts.len() / 2, "the texts exercise the cues");
    }
}
