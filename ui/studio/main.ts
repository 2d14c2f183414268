import { mount } from "svelte";
import Studio from "./Studio.svelte";
import { adoptKey } from "./session";

adoptKey(location, sessionStorage, history);

const target = document.getElementById("studio");
if (!target) throw new Error("studio.html has no #studio element");
export default mount(Studio, { target });
