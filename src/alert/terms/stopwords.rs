//! Stop words per language for term statistics: function words, pronouns, auxiliaries and
//! the commonest social-media filler, written as people type them and folded at start-up with
//! the matcher's normalisation (`für` is looked up as `fur`, `không` as `khong`). Short lists
//! on purpose (a term that is frequent but meaningful, such as "price" or "support", must
//! stay countable); the decayed baseline takes care of the rest of the everyday vocabulary.

use std::collections::{HashMap, HashSet};

use crate::rules::normalize::normalize_term;

/// Languages with a list of their own; every mention also uses [`COMMON`], and English for
/// all but Vietnamese (whose folded syllables are English function words: `ăn` "eat" folds
/// to `an`, `mẹ` "mother" to `me`).
pub const LANGUAGES: [&str; 8] = ["en", "de", "es", "fr", "it", "pt", "ru", "vi"];

/// Filler of every language on social platforms.
const COMMON: &str = "rt amp via http https www com co lol omg pls plz";

const EN: &str = "a about above after again against all am an and any are aren as at be because been before \
being below between both but by can cannot could couldn did didn do does doesn doing don down during each \
few for from further had hadn has hasn have haven having he her here hers herself him himself his how i if \
in into is isn it its itself just let me more most my myself nor not of off on once only or other our ours \
ourselves out over own same she should so some such than that the their theirs them themselves then there \
these they this those through to too under until up very was wasn we were weren what when where which while \
who whom why will with won would wouldn you your yours yourself yourselves im ive id ill youre dont cant \
wont isnt its thats theres get got gets also still really just even much many one two like new now today \
u ur r im gonna wanna da ok okay yes no";

const DE: &str = "der die das den dem des ein eine einen einem einer eines und oder aber doch denn sondern \
ich du er sie es wir ihr mich dich sich uns euch mir dir ihm ihn ihnen mein meine dein deine sein seine \
unser euer ist sind war waren bin bist seid sein hat habe haben hatte hatten wird werden wurde wurden kann \
können konnte muss müssen soll sollte will wollen nicht kein keine keinen auch noch schon nur so sehr \
mit von zu zum zur im in am an auf aus bei für über unter nach vor durch um bis wie was wer wo wann warum \
als wenn dass ob da hier dort dann jetzt heute mal man es gibt ja nein";

const ES: &str = "el la los las un una unos unas y o pero ni que de del a al en con por para sin sobre \
entre hasta desde es son era eran fue fueron ser estar está están estoy estaba he ha han hay había \
yo tú él ella nosotros vosotros ellos ellas me te se nos os le les lo mi mis tu tus su sus nuestro \
nuestra este esta estos estas ese esa esos esas muy más menos ya también tan como cuando donde porque \
qué quién cómo si no sí todo todos toda todas otro otra hoy aquí eso esto algo nada q pq xq";

const FR: &str = "le la les l un une des du de d et ou mais donc or ni car que qui quoi dont où à au aux \
en dans par pour sur sous avec sans chez entre vers je tu il elle on nous vous ils elles me te se moi toi \
lui leur leurs mon ma mes ton ta tes son sa ses notre nos votre vos ce cet cette ces ça cela c est sont \
suis es était étaient été être ai as a avons avez ont avait fait faire ne pas plus moins très trop bien \
aussi encore déjà comme quand si oui non tout tous toute toutes y j n s qu m t aujourd hui";

const IT: &str = "il lo la i gli le un uno una e o ma che di del dello della dei degli delle a al allo \
alla ai agli alle da dal dalla dai in nel nella nei con su sul sulla per tra fra io tu lui lei noi voi \
loro mi ti si ci vi ne mio mia miei mie tuo tua suo sua nostro vostro questo questa questi queste quello \
quella è sono era erano sei siamo siete ho hai ha abbiamo avete hanno non più molto anche come quando \
dove perché se sì no tutto tutti oggi qui già ancora poi così solo";

const PT: &str = "o a os as um uma uns umas e ou mas que de do da dos das em no na nos nas por pelo pela \
para com sem sobre entre até eu tu ele ela nós vós eles elas me te se lhe lhes meu minha meus minhas teu \
tua seu sua seus suas nosso nossa este esta estes estas esse essa esses essas isso isto aquilo é são era \
eram foi foram ser estar está estão estou estava tem têm ter tinha há não sim mais menos muito muita \
também já ainda como quando onde porque se tudo todos hoje aqui vc vcs pq q tá to";

const RU: &str = "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только \
ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до \
вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем \
была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним \
здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда можно при наконец два об \
другой хоть после над больше тот через эти нас про всего них какая много разве три эту моя впрочем \
хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю между это";

const VI: &str = "và của là có không được cho với này tôi bạn các những một đã rất thì mà để trong khi \
người cũng như nhưng vì nên thế nào gì đó đây kia ở tại từ đến lại ra vào lên xuống rồi sẽ đang vẫn còn \
chỉ đều nếu hay hoặc bị bởi theo về sau trước trên dưới nhiều ít hơn nhất mình anh chị em nó họ chúng ta \
chúng tôi ai ạ nhé nha à ừ vậy thôi luôn quá lắm hả";

fn fold_all(list: &str, into: &mut HashSet<String>) {
    for w in list.split_whitespace() {
        // A stop word folds to one word or several (`aujourd hui`): every word is a stop word.
        for part in normalize_term(w).split(' ').filter(|p| !p.is_empty()) {
            into.insert(part.to_string());
        }
    }
}

/// Folded stop words: the mention's language plus [`COMMON`] and English (posts mix in
/// English; not for Vietnamese); the union of all lists when the language is unknown.
#[derive(Debug)]
pub struct StopWords {
    by_lang: HashMap<&'static str, HashSet<String>>,
    union: HashSet<String>,
}

impl StopWords {
    /// Builds the folded lists (a few thousand words; once per alert core).
    pub fn new() -> Self {
        let mut common = HashSet::new();
        fold_all(COMMON, &mut common);
        let mut base = common.clone();
        fold_all(EN, &mut base);
        let mut by_lang = HashMap::new();
        let mut union = base.clone();
        for (lang, list) in [
            ("de", DE),
            ("es", ES),
            ("fr", FR),
            ("it", IT),
            ("pt", PT),
            ("ru", RU),
            ("vi", VI),
        ] {
            let mut set = if lang == "vi" {
                common.clone()
            } else {
                base.clone()
            };
            fold_all(list, &mut set);
            fold_all(list, &mut union);
            by_lang.insert(lang, set);
        }
        by_lang.insert("en", base);
        Self { by_lang, union }
    }

    /// The set for `lang` (ISO 639-1); the union for `und` and languages without a list.
    pub fn for_lang(&self, lang: &str) -> &HashSet<String> {
        self.by_lang.get(lang).unwrap_or(&self.union)
    }
}

impl Default for StopWords {
    fn default() -> Self {
        Self::new()
    }
}
