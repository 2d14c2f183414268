import "@fontsource/noto-sans/400.css";
import "@fontsource/noto-sans/600.css";
import "@fontsource/noto-serif/600.css";
import "./app.css";
import { mount } from "svelte";
import App from "./App.svelte";
import { lockDown } from "./lib/lockdown";

lockDown(window);
const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");
export default mount(App, { target });
