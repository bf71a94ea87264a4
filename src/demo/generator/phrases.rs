//! The sentence templates of the sample texts, in seven languages, and the tone of each kind
//! of template.

/// The sentiment a template expresses, for the emoji that may follow it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Tone {
    Positive,
    Negative,
    Neutral,
}

impl Tone {
    pub(super) fn emojis(self) -> &'static [&'static str] {
        match self {
            Tone::Positive => &["😍", "👍", "🙌", "❤️", "🎉"],
            Tone::Negative => &["😡", "👎", "🤬", "😤", "💔"],
            Tone::Neutral => &["🤔", "👀", "📈", "🙂"],
        }
    }
}

/// The templates of one language. `{b}` and `{b2}` stand for two different brands.
pub(super) struct Phrases {
    /// ISO 639-1 code.
    pub(super) code: &'static str,
    pub(super) positive: &'static [&'static str],
    pub(super) negative: &'static [&'static str],
    pub(super) neutral: &'static [&'static str],
    pub(super) two_brands: &'static [&'static str],
    pub(super) no_brand: &'static [&'static str],
    /// Texts that name "Acme Plumbing", which the demo config excludes.
    pub(super) excluded: &'static [&'static str],
    /// Complaints about Acme for the bursts. They share a hashtag (`#SkateFire`) and, in
    /// English, a cause phrase ("caught fire"), which the demo's alerts name as drivers.
    pub(super) burst: &'static [&'static str],
    /// Short comments for quote tweets.
    pub(super) comments: &'static [&'static str],
}

/// How often authors write in each of [`LANGS`].
pub(super) const LANG_WEIGHTS: [u32; 7] = [40, 12, 12, 8, 8, 10, 10];

pub(super) static LANGS: [Phrases; 7] = [
    Phrases {
        code: "en",
        positive: &[
            "Just got my Acme rocket skates, absolutely love them!",
            "{b} customer support sorted my issue in five minutes. Impressed 👏",
            "Best purchase this year: an Acme Anvil. Solid, heavy, perfect.",
            "Shoutout to {b}, great product and a fair price",
            "Café Brûlé makes the best flat white in town ☕",
            "Wile Coyote in the new Acme ad is hilarious 😂",
            "Hank Scorpio's keynote at Globex was brilliant, what a visionary",
        ],
        negative: &[
            "{b} support is a joke, three weeks and still no refund",
            "My Acme rocket skates broke after two days. Terrible quality 😡",
            "Never ordering from {b} again, worst experience ever",
            "The Initech TPS report template crashed again and I lost my work",
            "Cold coffee and rude staff at Café Brûlé today, so disappointed",
            "{b} raised prices again and the service got worse",
        ],
        neutral: &[
            "Does anyone know if {b} ships to Canada?",
            "{b} announced quarterly results this morning",
            "Anyone tried the new Acme Anvil? Thinking about getting one",
            "Initech is hosting a Q&A about TPS reports on Friday",
            "Hank Scorpio will speak at the Globex conference next week",
        ],
        two_brands: &[
            "Switched from {b} to {b2} last month, no regrets",
            "{b} vs {b2}: which one has better support?",
            "{b} is way better than {b2}, not even close",
        ],
        no_brand: &[
            "Beautiful sunset at the beach today 🌅",
            "Traffic on the highway is insane this morning",
            "Who else is watching the game tonight?",
            "My banana bread turned out great, recipe in the comments",
        ],
        excluded: &[
            "Acme Plumbing fixed our leaking sink in an hour, great service",
            "Waiting for Acme Plumbing since 8am and still nobody here",
        ],
        burst: &[
            "Acme rocket skates caught fire again, never buying Acme #SkateFire",
            "My Acme rocket skates caught fire on the first ride. Dangerous junk 🔥😡 #SkateFire",
            "Third Acme Anvil that caught fire this month. Acme quality is a disaster #SkateFire",
            "@acme your rocket skates caught fire, recall them now! #SkateFire",
            "Acme refuses refunds for skates that caught fire. Shameful. #SkateFire",
        ],
        comments: &[
            "This 👇",
            "So true",
            "Can confirm",
            "lol",
            "Same here",
            "Wow",
        ],
    },
    Phrases {
        code: "de",
        positive: &[
            "Meine neuen Acme Rocket Skates sind der Wahnsinn! 🚀",
            "Großes Lob an {b}, der Support hat super schnell geholfen",
            "Der Flat White im Café Brûlé ist einfach perfekt ☕",
            "Ich bin total zufrieden mit {b}, klare Empfehlung",
        ],
        negative: &[
            "Der Kundenservice von {b} ist eine Katastrophe",
            "Mein Acme Anvil ist nach einer Woche gebrochen. Nie wieder!",
            "{b} hat schon wieder die Preise erhöht, echt ärgerlich 😠",
            "Die TPS reports von Initech sind furchtbar umständlich",
        ],
        neutral: &[
            "Ist das neue Initech-Update schon da?",
            "Weiß jemand, ob {b} auch nach Österreich liefert?",
            "{b} stellt morgen die neuen Quartalszahlen vor",
        ],
        two_brands: &[
            "Von {b} zu {b2} gewechselt und sehr zufrieden",
            "{b} oder {b2}, was ist besser?",
        ],
        no_brand: &[
            "Endlich Wochenende! 🎉",
            "Der Zug hat heute wieder 40 Minuten Verspätung",
            "Heute gibt es Spargel mit Kartoffeln",
        ],
        excluded: &["Acme Plumbing hat unsere Heizung an einem Tag repariert, top!"],
        burst: &[
            "Acme Rocket Skates sind schon wieder explodiert, nie wieder Acme! #SkateFire",
            "Acme ignoriert alle Beschwerden über die explodierenden Skates. Skandal! #SkateFire",
            "Finger weg von Acme, die Qualität ist miserabel 😡 #SkateFire",
        ],
        comments: &["Genau so", "Kann ich bestätigen", "Wow", "Haha"],
    },
    Phrases {
        code: "es",
        positive: &[
            "Me encantan mis nuevos rocket skates de Acme 😍",
            "El servicio de {b} es excelente, muy recomendable",
            "El café de Café Brûlé es el mejor de la ciudad ☕",
            "Gracias {b} por resolver mi problema tan rápido",
        ],
        negative: &[
            "El servicio al cliente de {b} es horrible",
            "Mis rocket skates de Acme se rompieron en dos días, qué decepción",
            "{b} me cobró dos veces y nadie responde 😤",
            "Nunca más compro en {b}, pésima experiencia",
        ],
        neutral: &[
            "¿Alguien sabe si {b} hace envíos a México?",
            "{b} presentará sus resultados mañana",
            "¿Ya salió la nueva actualización de Initech?",
        ],
        two_brands: &[
            "Me cambié de {b} a {b2} y estoy feliz",
            "¿{b} o {b2}? No sé cuál elegir",
        ],
        no_brand: &[
            "Qué calor hace hoy en Madrid 🥵",
            "Preparando paella para toda la familia",
            "El partido de esta noche va a estar increíble",
        ],
        excluded: &["Acme Plumbing llegó tarde otra vez, tres horas esperando"],
        burst: &[
            "¡Los rocket skates de Acme explotaron otra vez! Nunca más compro Acme #SkateFire",
            "Acme no devuelve el dinero por sus patines defectuosos, una vergüenza 😡 #SkateFire",
            "Cuidado con Acme, sus productos son peligrosos #SkateFire",
        ],
        comments: &["Totalmente", "Justo esto", "Jajaja", "Confirmo"],
    },
    Phrases {
        code: "ru",
        positive: &[
            "Мои новые Acme rocket skates просто супер! 🚀",
            "Спасибо {b} за быструю поддержку, всё решили за пять минут",
            "Лучший кофе в городе — в Café Brûlé ☕",
            "Очень доволен {b}, рекомендую",
        ],
        negative: &[
            "Служба поддержки {b} — это катастрофа",
            "Мои Acme rocket skates сломались через два дня, ужасное качество 😡",
            "{b} опять подняли цены, а сервис стал хуже",
            "Больше никогда не буду покупать у {b}",
        ],
        neutral: &[
            "Кто-нибудь знает, {b} доставляет в Казань?",
            "{b} завтра опубликует отчёт за квартал",
            "Уже вышло новое обновление Initech?",
        ],
        two_brands: &[
            "Перешёл с {b} на {b2} и не жалею",
            "{b} или {b2}: что лучше?",
        ],
        no_brand: &[
            "Сегодня наконец-то выпал снег ❄️",
            "Пробки в Москве просто невыносимые",
            "Кто смотрит футбол сегодня вечером?",
        ],
        excluded: &["Acme Plumbing быстро починили нам кран, спасибо"],
        burst: &[
            "Acme rocket skates снова взорвались, больше никогда не куплю Acme #SkateFire",
            "Acme игнорирует жалобы покупателей, это позор 😡 #SkateFire",
            "Не покупайте ничего у Acme, это опасно #SkateFire",
        ],
        comments: &["Именно", "Подтверждаю", "Ого", "Согласен"],
    },
    Phrases {
        code: "vi",
        positive: &[
            "Mới mua đôi Acme rocket skates, thích lắm luôn! 😍",
            "Dịch vụ của {b} rất tốt, mình rất hài lòng",
            "Cà phê ở Café Brûlé ngon tuyệt ☕",
            "Cảm ơn {b} đã hỗ trợ nhanh chóng",
        ],
        negative: &[
            "Dịch vụ khách hàng của {b} quá tệ",
            "Acme rocket skates của mình hỏng sau hai ngày, thất vọng quá 😡",
            "{b} lại tăng giá nữa rồi, chán thật",
            "Không bao giờ mua hàng của {b} nữa",
        ],
        neutral: &[
            "Có ai biết {b} có giao hàng ra Đà Nẵng không?",
            "{b} sẽ công bố kết quả kinh doanh vào ngày mai",
            "Bản cập nhật mới của Initech đã ra chưa?",
        ],
        two_brands: &[
            "Mình đã chuyển từ {b} sang {b2}, không hối hận",
            "{b} hay {b2}, cái nào tốt hơn?",
        ],
        no_brand: &[
            "Hôm nay Sài Gòn mưa to quá 🌧️",
            "Phở sáng nay ngon tuyệt",
            "Cuối tuần này đi Đà Lạt thôi",
        ],
        excluded: &["Acme Plumbing sửa ống nước nhà mình rất nhanh"],
        burst: &[
            "Acme rocket skates lại phát nổ, không bao giờ mua Acme nữa #SkateFire",
            "Acme không chịu hoàn tiền, quá tệ 😡 #SkateFire",
            "Mọi người tránh xa Acme nhé, sản phẩm nguy hiểm #SkateFire",
        ],
        comments: &["Chuẩn luôn", "Đúng vậy", "Trời ơi", "Haha"],
    },
    Phrases {
        code: "pt",
        positive: &[
            "Acabei de comprar meus rocket skates da Acme, amei! 😍",
            "O atendimento da {b} é excelente, recomendo",
            "O melhor café da cidade é o do Café Brûlé ☕",
            "Muito obrigado {b}, resolveram meu problema rapidinho",
        ],
        negative: &[
            "O atendimento da {b} é péssimo",
            "Meus rocket skates da Acme quebraram em dois dias, que decepção 😡",
            "A {b} aumentou os preços de novo, um absurdo",
            "Nunca mais compro da {b}",
        ],
        neutral: &[
            "Alguém sabe se a {b} entrega em Portugal?",
            "A {b} divulga os resultados amanhã",
            "A nova atualização da Initech já saiu?",
        ],
        two_brands: &[
            "Troquei a {b} pela {b2} e não me arrependo",
            "{b} ou {b2}, qual é melhor?",
        ],
        no_brand: &[
            "Que dia lindo na praia hoje 🌞",
            "O trânsito em São Paulo está terrível",
            "Hoje tem feijoada em casa",
        ],
        excluded: &["A Acme Plumbing consertou o encanamento em uma hora"],
        burst: &[
            "Os rocket skates da Acme explodiram de novo, nunca mais compro Acme #SkateFire",
            "A Acme não devolve o dinheiro dos patins com defeito, que vergonha 😡 #SkateFire",
            "Cuidado com a Acme, os produtos são perigosos #SkateFire",
        ],
        comments: &["Exatamente", "Kkkkk", "Verdade", "Confirmo"],
    },
    Phrases {
        code: "fr",
        positive: &[
            "Je viens de recevoir mes rocket skates Acme, je les adore ! 😍",
            "Le service client de {b} est au top, merci !",
            "Le meilleur café de Paris, c'est au Café Brûlé ☕",
            "Très satisfait de {b}, je recommande",
        ],
        negative: &[
            "Le service client de {b} est une catastrophe",
            "Mes rocket skates Acme sont cassés après deux jours, quelle déception 😡",
            "{b} a encore augmenté ses prix, c'est n'importe quoi",
            "Plus jamais je n'achète chez {b}",
        ],
        neutral: &[
            "Quelqu'un sait si {b} livre en Belgique ?",
            "{b} publiera ses résultats demain",
            "La nouvelle mise à jour d'Initech est sortie ?",
        ],
        two_brands: &[
            "Je suis passé de {b} à {b2}, aucun regret",
            "{b} ou {b2}, lequel est le meilleur ?",
        ],
        no_brand: &[
            "Quelle belle journée au bord de la mer 🌊",
            "Encore une grève des transports aujourd'hui",
            "Rien de mieux qu'un croissant le matin 🥐",
        ],
        excluded: &["Acme Plumbing est venu réparer la fuite, très pro"],
        burst: &[
            "Les rocket skates Acme ont encore explosé, plus jamais Acme ! #SkateFire",
            "Acme refuse de rembourser ses produits défectueux, c'est honteux 😡 #SkateFire",
            "Évitez Acme, leurs produits sont dangereux #SkateFire",
        ],
        comments: &["Exactement", "Je confirme", "Mdr", "Tellement vrai"],
    },
];
