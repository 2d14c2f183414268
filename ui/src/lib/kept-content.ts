// What the screens fetch from the content, kept (lib/kept.ts): the home
// screen and upcoming events in each language (a language switch shows them
// at once), the music's track list and the signup's consent statement.
import { api, type ConsentStatement, type EventView, type Home, type TrackInfo } from "./api";
import { Kept } from "./kept";

/** The home screen's data in a language ("": the bundle's default). */
export interface HomeData {
  home: Home;
  events: EventView[];
}

/** Home and upcoming events. Events end as time passes: forgotten at each new visit (App.svelte). */
export const homes = new Kept(
  async (lang: string): Promise<HomeData> => {
    const l = lang === "" ? null : lang;
    const [home, events] = await Promise.all([api.home(l), api.upcomingEvents(l)]);
    return { home, events };
  },
);

export const tracks = new Kept((lang: string): Promise<TrackInfo[]> => api.musicTracks(lang));

export const consents = new Kept((lang: string): Promise<ConsentStatement> => api.signupConsent(lang));

/** Fetches in the background what a touch on the home screen `h` may show next. */
export function preloadFor(h: Home): void {
  for (const l of h.languages) homes.preload(l.code);
  tracks.preload(h.lang);
  consents.preload(h.lang);
}
