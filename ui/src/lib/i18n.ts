// UI strings in the kiosk's three languages. Content comes from the bundle;
// these are only the words of the interface itself.
import type { SignupCode } from "./bindings";

export type Lang = "en" | "kk" | "ru";

const strings = {
  en: {
    embassy: "Embassy of Kazakhstan",
    welcome: "Welcome",
    touchToRead: "Touch a topic to read more",
    about: "About Kazakhstan",
    upcomingEvents: "Upcoming events",
    allEvents: "All events",
    back: "Back",
    noEvents: "No events are planned just now. Please check again soon.",
    loading: "Loading…",
    error: "Something went wrong. Please touch the screen to try again.",
    music: "Kazakhstan Music",
    musicIntro_one: "{n} short music sample. Touch it to listen.",
    musicIntro_few: "{n} short music samples. Touch one to listen.",
    musicIntro_many: "{n} short music samples. Touch one to listen.",
    musicIntro_other: "{n} short music samples. Touch one to listen.",
    listen: "Listen",
    play: "Play",
    pause: "Pause",
    nowPlaying: "Now playing",
    audioUnavailable: "Sound is not available on this screen just now.",
    quietMode: "Music is switched off today.",
    trackError: "This sample cannot be played.",
    volume: "Volume",
    join: "Join our email list",
    joinIntro: "News and invitations from the Embassy, straight to your inbox.",
    email: "Email address",
    name: "Name (optional)",
    submit: "Sign up",
    thanks: "Thank you! Please check your inbox to confirm your subscription.",
    another: "Sign up someone else",
    err_empty: "Please type your email address.",
    err_missing_at: "An email address needs an @, as in name@example.com.",
    err_local_empty: "Something is missing before the @.",
    err_local_too_long: "The part before the @ is too long.",
    err_local_invalid_char: "The part before the @ may use only Latin letters, digits and . _ - +",
    err_local_dots: "A dot cannot start or end the name, or come twice in a row.",
    err_quoted_local: "Please type the address without quotation marks.",
    err_domain_empty: "Something is missing after the @.",
    err_domain_ip_literal: "Please use a domain name after the @, not a number.",
    err_domain_single_label: "The part after the @ needs a dot, as in example.com.",
    err_domain_invalid: "The part after the @ is not a valid domain.",
    err_too_long: "This address is too long.",
    err_consent_required: "Please tick the box to agree, so we may write to you.",
    err_name_too_long: "The name is too long.",
    err_too_many: "Many people have signed up here in the last minute. Please wait a moment and try again.",
    err_consent_changed: "The statement below has just been updated. Please read it and tick the box again.",
    err_store_full: "Sorry, this screen cannot take more signups just now. Please ask at the front desk.",
    err_store_failed: "Sorry, we could not save this. Please ask at the front desk.",
    languageName: "English",
  },
  kk: {
    embassy: "Қазақстан Елшілігі",
    welcome: "Қош келдіңіз",
    touchToRead: "Толығырақ оқу үшін тақырыпты түртіңіз",
    about: "Қазақстан туралы",
    upcomingEvents: "Алдағы іс-шаралар",
    allEvents: "Барлық іс-шаралар",
    back: "Артқа",
    noEvents: "Қазір жоспарланған іс-шаралар жоқ. Кейінірек қайта қараңыз.",
    loading: "Жүктелуде…",
    error: "Қате орын алды. Қайталау үшін экранды түртіңіз.",
    music: "Қазақстан музыкасы",
    musicIntro_one: "{n} қысқа музыкалық үзінді. Тыңдау үшін оны түртіңіз.",
    musicIntro_few: "{n} қысқа музыкалық үзінді. Тыңдау үшін біреуін түртіңіз.",
    musicIntro_many: "{n} қысқа музыкалық үзінді. Тыңдау үшін біреуін түртіңіз.",
    musicIntro_other: "{n} қысқа музыкалық үзінді. Тыңдау үшін біреуін түртіңіз.",
    listen: "Тыңдау",
    play: "Ойнату",
    pause: "Кідірту",
    nowPlaying: "Қазір ойнап тұр",
    audioUnavailable: "Бұл экранда дыбыс әзірге қолжетімсіз.",
    quietMode: "Бүгін музыка өшірулі.",
    trackError: "Бұл үзіндіні ойнату мүмкін емес.",
    volume: "Дыбыс деңгейі",
    join: "Хабарламаларға жазылыңыз",
    joinIntro: "Елшіліктің жаңалықтары мен шақырулары тікелей поштаңызға.",
    email: "Электрондық пошта",
    name: "Аты-жөні (міндетті емес)",
    submit: "Жазылу",
    thanks: "Рақмет! Жазылымды растау үшін поштаңызды тексеріңіз.",
    another: "Басқа адамды жазу",
    err_empty: "Электрондық пошта мекенжайын енгізіңіз.",
    err_missing_at: "Мекенжайда @ белгісі болуы керек, мысалы name@example.com.",
    err_local_empty: "@ белгісінің алдында бірдеңе жетіспейді.",
    err_local_too_long: "@ белгісіне дейінгі бөлік тым ұзын.",
    err_local_invalid_char: "@ алдындағы бөлікте тек латын әріптері, сандар және . _ - + болады.",
    err_local_dots: "Нүкте атаудың басында не соңында тұрмайды және қатарынан екі рет келмейді.",
    err_quoted_local: "Мекенжайды тырнақшасыз енгізіңіз.",
    err_domain_empty: "@ белгісінен кейін бірдеңе жетіспейді.",
    err_domain_ip_literal: "@ белгісінен кейін сан емес, домен атауын жазыңыз.",
    err_domain_single_label: "@ белгісінен кейінгі бөлікте нүкте болуы керек, мысалы example.com.",
    err_domain_invalid: "@ белгісінен кейінгі бөлік дұрыс домен емес.",
    err_too_long: "Бұл мекенжай тым ұзын.",
    err_consent_required: "Сізге хат жазуымыз үшін келісім белгісін қойыңыз.",
    err_name_too_long: "Аты тым ұзын.",
    err_too_many: "Соңғы минутта мұнда көп адам жазылды. Біраз күтіп, қайталап көріңіз.",
    err_consent_changed: "Төмендегі мәтін жаңартылды. Оны оқып, белгіні қайта қойыңыз.",
    err_store_full: "Кешіріңіз, бұл экран қазір жаңа жазылымдарды қабылдай алмайды. Қабылдау бөлмесіне жүгініңіз.",
    err_store_failed: "Кешіріңіз, сақтай алмадық. Қабылдау бөлмесіне жүгініңіз.",
    languageName: "Қазақша",
  },
  ru: {
    embassy: "Посольство Казахстана",
    welcome: "Добро пожаловать",
    touchToRead: "Коснитесь темы, чтобы узнать больше",
    about: "О Казахстане",
    upcomingEvents: "Предстоящие мероприятия",
    allEvents: "Все мероприятия",
    back: "Назад",
    noEvents: "Сейчас мероприятий не запланировано. Загляните позже.",
    loading: "Загрузка…",
    error: "Что-то пошло не так. Коснитесь экрана, чтобы повторить.",
    music: "Музыка Казахстана",
    musicIntro_one: "{n} короткий музыкальный фрагмент. Коснитесь, чтобы послушать.",
    musicIntro_few: "{n} коротких музыкальных фрагмента. Коснитесь, чтобы послушать.",
    musicIntro_many: "{n} коротких музыкальных фрагментов. Коснитесь, чтобы послушать.",
    musicIntro_other: "{n} короткого музыкального фрагмента. Коснитесь, чтобы послушать.",
    listen: "Слушать",
    play: "Играть",
    pause: "Пауза",
    nowPlaying: "Сейчас звучит",
    audioUnavailable: "Звук на этом экране сейчас недоступен.",
    quietMode: "Сегодня музыка выключена.",
    trackError: "Этот фрагмент не удаётся воспроизвести.",
    volume: "Громкость",
    join: "Подпишитесь на рассылку",
    joinIntro: "Новости и приглашения Посольства — прямо в ваш почтовый ящик.",
    email: "Адрес электронной почты",
    name: "Имя (необязательно)",
    submit: "Подписаться",
    thanks: "Спасибо! Проверьте почту, чтобы подтвердить подписку.",
    another: "Подписать другого человека",
    err_empty: "Введите адрес электронной почты.",
    err_missing_at: "В адресе нужен знак @, например name@example.com.",
    err_local_empty: "Перед @ чего-то не хватает.",
    err_local_too_long: "Часть до @ слишком длинная.",
    err_local_invalid_char: "До @ допустимы только латинские буквы, цифры и . _ - +",
    err_local_dots: "Точка не может стоять в начале или конце имени или дважды подряд.",
    err_quoted_local: "Введите адрес без кавычек.",
    err_domain_empty: "После @ чего-то не хватает.",
    err_domain_ip_literal: "После @ укажите имя домена, а не число.",
    err_domain_single_label: "После @ нужна точка, например example.com.",
    err_domain_invalid: "Часть после @ не является правильным доменом.",
    err_too_long: "Этот адрес слишком длинный.",
    err_consent_required: "Отметьте согласие, чтобы мы могли вам писать.",
    err_name_too_long: "Имя слишком длинное.",
    err_too_many: "За последнюю минуту здесь подписалось много людей. Подождите немного и попробуйте снова.",
    err_consent_changed: "Текст ниже только что обновился. Прочитайте его и снова отметьте согласие.",
    err_store_full: "К сожалению, этот экран сейчас не может принять новые подписки. Обратитесь на стойку регистрации.",
    err_store_failed: "К сожалению, сохранить не удалось. Обратитесь на стойку регистрации.",
    languageName: "Русский",
  },
} as const;

export type StringKey = keyof (typeof strings)["en"];

// Every reason a signup can be refused (the union comes from Rust) has words
// in every language: a code without them does not compile.
const signupWords: Record<Lang, Record<`err_${SignupCode}`, string>> = strings;

/** Why a signup was refused, in the visitor's language. A code from outside
 * the union (a failure of the IPC itself) reads as "ask at the front desk". */
export function errorText(lang: string, code: SignupCode): string {
  return (signupWords[lang as Lang] ?? signupWords.en)[`err_${code}`] ?? t(lang, "err_store_failed");
}

/** Sentences that carry a count: one key per plural form (`_one`, `_few`, `_many`, `_other`). */
export type PluralKey = "musicIntro";

/** A sentence with a count, in the plural form the visitor's language uses
 * for `n` (Intl.PluralRules), with `{n}` filled in: never a fixed number. */
export function plural(lang: string, key: PluralKey, n: number): string {
  const form = new Intl.PluralRules(locale(lang)).select(n);
  const suffix = form === "one" || form === "few" || form === "many" ? form : "other";
  return t(lang, `${key}_${suffix}`).replace("{n}", new Intl.NumberFormat(locale(lang)).format(n));
}

export function t(lang: string, key: StringKey): string {
  const table = (strings as Record<string, Record<StringKey, string>>)[lang] ?? strings.en;
  return table[key];
}

export function languageName(lang: string): string {
  return t(lang, "languageName");
}

/** BCP 47 tag for Intl date formatting. */
export function locale(lang: string): string {
  return { en: "en-GB", kk: "kk-KZ", ru: "ru-RU" }[lang] ?? "en-GB";
}

/** Every language's words as written, for the test that each covers all of English's keys. */
export const uiStrings: Readonly<Record<string, Readonly<Partial<Record<StringKey, string>>>>> = strings;
