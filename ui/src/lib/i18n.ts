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
