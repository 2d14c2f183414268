// UI strings in the kiosk's three languages. Content comes from the bundle;
// these are only the words of the interface itself.
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
    musicIntro: "Three short music samples. Touch one to listen.",
    listen: "Listen",
    play: "Play",
    pause: "Pause",
    nowPlaying: "Now playing",
    audioUnavailable: "Sound is not available on this screen just now.",
    quietMode: "Music is switched off today.",
    trackError: "This sample cannot be played.",
    volume: "Volume",
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
    musicIntro: "Үш қысқа музыкалық үзінді. Тыңдау үшін біреуін түртіңіз.",
    listen: "Тыңдау",
    play: "Ойнату",
    pause: "Кідірту",
    nowPlaying: "Қазір ойнап тұр",
    audioUnavailable: "Бұл экранда дыбыс әзірге қолжетімсіз.",
    quietMode: "Бүгін музыка өшірулі.",
    trackError: "Бұл үзіндіні ойнату мүмкін емес.",
    volume: "Дыбыс деңгейі",
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
    musicIntro: "Три коротких музыкальных фрагмента. Коснитесь, чтобы послушать.",
    listen: "Слушать",
    play: "Играть",
    pause: "Пауза",
    nowPlaying: "Сейчас звучит",
    audioUnavailable: "Звук на этом экране сейчас недоступен.",
    quietMode: "Сегодня музыка выключена.",
    trackError: "Этот фрагмент не удаётся воспроизвести.",
    volume: "Громкость",
    languageName: "Русский",
  },
} as const;

export type StringKey = keyof (typeof strings)["en"];

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
