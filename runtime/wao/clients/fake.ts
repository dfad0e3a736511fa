/** What the `Fake` endpoint type answers (the original's fake clients), without any network. */
export const FAKE_VALUES = {
  /** °C */
  inletTemp: 15.5,
  /** Pa */
  deltaP: 7.5,
  /** W */
  powerConsumption: 3.14,
  /** What the fake endpoint provider provides. */
  endpoint: { type: 'Fake', endpoint: 'https://fake-endpoint' },
} as const;
