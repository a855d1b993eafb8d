// The one door to the vendored Preact + htm build: pages import from here, never from vendor/.
export {
  html, render, useState, useEffect, useRef, useMemo, useCallback, useReducer, useContext, createContext,
} from '../vendor/htm-3.1.1/preact/standalone.module.js';
