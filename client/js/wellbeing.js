// The nine areas of wellbeing in the Care Act 2014, s.1(2). This copy ships with the app so the
// outcome form works offline; tests/test_wellbeing_areas.py checks it against the server's list
// (server/models/wellbeing.py, served at GET /api/v1/wellbeing-areas).
export const WELLBEING_AREAS = [
  {
    "code": "dignity",
    "label": "Personal dignity",
    "easy_read": "Being treated with respect"
  },
  {
    "code": "health",
    "label": "Physical and mental health and emotional wellbeing",
    "easy_read": "My health and how I feel"
  },
  {
    "code": "protection",
    "label": "Protection from abuse and neglect",
    "easy_read": "Being safe from harm"
  },
  {
    "code": "control",
    "label": "Control over day-to-day life",
    "easy_read": "Choosing how I live my day"
  },
  {
    "code": "participation",
    "label": "Participation in work, education, training or recreation",
    "easy_read": "Work, learning and things I enjoy"
  },
  {
    "code": "social_economic",
    "label": "Social and economic wellbeing",
    "easy_read": "Friends, community and money"
  },
  {
    "code": "relationships",
    "label": "Domestic, family and personal relationships",
    "easy_read": "Family and the people close to me"
  },
  {
    "code": "accommodation",
    "label": "Suitability of living accommodation",
    "easy_read": "My home"
  },
  {
    "code": "contribution",
    "label": "Contribution to society",
    "easy_read": "Giving something back"
  }
];


// Labels for a list of codes, in the Act's order; `easyRead` gives the person's words.
export function wellbeingLabels(codes, { easyRead = false } = {}) {
  return WELLBEING_AREAS.filter((a) => (codes || []).includes(a.code)).map((a) => (easyRead ? a.easy_read : a.label));
}
